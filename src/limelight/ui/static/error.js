// One error group: what it is, how often, where it breaks (the newest sample's stack),
// and links to its events and traces.
"use strict";

(() => {
  const {el} = LL;
  const box = document.getElementById("error");
  const groupId = box.dataset.groupId;
  const {when} = LL;

  function frames(stack) {
    return el("pre", {class: "json"}, (stack || []).slice().reverse().map((f) =>
      `${f.in_app === false ? "  " : "→ "}${f.function || "?"}  ${f.filename || f.module || ""}` +
      `${f.lineno ? ":" + f.lineno : ""}\n`));
  }

  function render({group, samples}) {
    const events = "/events?" + new URLSearchParams({dataset: "errors", filter: `error.group_id = ${group.id}`, from: "7d"});
    const sample = samples[0];
    box.replaceChildren(
      el("h2", {}, group.title || group.type || group.id),
      el("p", {class: "muted"}, group.culprit || ""),
      el("div", {class: "summary"}, el("span", {class: "badge " + (group.status === "resolved" ? "good" : "bad")}, group.status),
        ` ${LL.number(group.count)} events · ${LL.number(group.users)} users · ` +
        `first ${when(group.first_seen_ms)} · last ${when(group.last_seen_ms)} · ` +
        (group.services || []).join(", ")),
      el("p", {}, el("a", {href: events}, "Its events →")),
      sample ? el("h2", {}, "Newest sample") : el("p", {class: "muted"}, "No sample kept."),
      sample ? el("p", {}, sample.message || "",
        sample.trace_id ? el("span", {}, " · ", el("a", {href: "/traces/" + sample.trace_id}, "open its trace")) : null) : null,
      sample && sample.stack && sample.stack.length ? frames(sample.stack) : null);
  }

  async function load() {
    LL.state(box, "loading", "Loading the error group…");
    try {
      render(await LL.api("/api/errors/" + encodeURIComponent(groupId)));
    } catch (error) {
      LL.state(box, "error", error.message, "See every group on the Errors page.");
    }
  }

  document.getElementById("ask-ai").addEventListener("click", () => LL.askAI({kind: "error", id: groupId}));
  load();
})();
