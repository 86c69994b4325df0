// Events as dense monospace rows, newest first, each expanding to its JSON whose values
// are clickable (click adds `key = value` as a filter). Rows render a page at a time.
"use strict";

const EventRows = (() => {
  const PAGE = 100;
  const {el} = LL;

  function summary(event) {
    const level = event.$level || (event.$error ? "error" : "");
    const text = event.$message ?? event.$name ?? event.message ?? event.event ?? "";
    return [
      el("span", {class: "ts"}, LL.shortTime(event.$timestamp || "")),
      el("span", {class: "svc", title: event.$service || event.$dataset || ""},
        event.$service || event.$dataset || ""),
      level ? el("span", {class: "lvl-" + level}, level) : null,
      event.$error === true ? el("span", {class: "err"}, "ERR") : null,
      el("span", {class: "msg"}, typeof text === "string" ? text : JSON.stringify(text)),
      event.$duration_ms !== undefined ? el("span", {class: "ts"}, LL.duration(event.$duration_ms)) : null,
      event.$trace_id ? el("a", {class: "trace-link", href: "/traces/" + event.$trace_id,
        title: "Open the trace", onclick: (e) => e.stopPropagation()}, "trace →") : null,
    ];
  }

  function details(event, onFilter) {
    const keys = Object.keys(event);
    const lines = keys.map((key, i) => {
      const value = event[key];
      const shown = JSON.stringify(value);
      const clickable = value !== null && typeof value !== "object" && key !== "$id"
        && key !== "$timestamp" && key !== "$dataset";
      return [i ? ",\n  " : "  ", el("span", {class: "k"}, JSON.stringify(key)), ": ",
        clickable
          ? el("span", {class: "v", title: `Filter on ${key} = ${value}`, "data-key": key,
            onclick: (e) => { e.stopPropagation(); onFilter(key, value); }}, shown)
          : shown];
    });
    const tools = el("div", {class: "tools"},
      event.$trace_id ? el("a", {href: "/traces/" + event.$trace_id, class: "open-trace"}, "Open trace →") : null,
      event.$dataset && event.$id !== undefined ? el("button", {type: "button", class: "ai",
        onclick: (e) => { e.stopPropagation(); LL.askAI({kind: "event", dataset: event.$dataset, id: event.$id}); }},
      "Ask AI") : null);
    return el("pre", {class: "json"}, "{\n", lines, "\n}", tools);
  }

  function row(event, onFilter, fresh) {
    const line = el("div", {class: "line"}, summary(event));
    const node = el("div", {class: "ev" + (fresh ? " new" : "")}, line);
    line.addEventListener("click", () => {
      const open = node.querySelector(".json");
      if (open) open.remove(); else node.append(details(event, onFilter));
    });
    return node;
  }

  // Fills `container` with `events`; `onFilter(key, value)` runs when a value is clicked.
  function render(container, events, onFilter, what = "events") {
    if (!events.length) { LL.noData(container, what); return; }
    const list = el("div", {class: "events"});
    let shown = 0;
    const more = el("button", {type: "button", class: "more"}, "");
    const pager = el("div", {class: "pager"}, more);
    const next = () => {
      const end = Math.min(shown + PAGE, events.length);
      list.append(...events.slice(shown, end).map((e) => row(e, onFilter, false)));
      shown = end;
      more.textContent = `Show ${Math.min(PAGE, events.length - shown)} more of ${events.length - shown}`;
      pager.hidden = shown >= events.length;
    };
    more.addEventListener("click", next);
    next();
    container.replaceChildren(list, pager);
  }

  // Live tail: newest on top, the list kept to `keep` rows so the page stays light.
  function prepend(container, event, onFilter, keep = 500) {
    let list = container.querySelector(".events");
    if (!list) { list = el("div", {class: "events"}); container.replaceChildren(list); }
    list.prepend(row(event, onFilter, true));
    while (list.childElementCount > keep) list.lastElementChild.remove();
  }

  return {render, prepend};
})();
