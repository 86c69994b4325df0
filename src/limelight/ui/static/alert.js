// One alert: its state and settings, each instance (group) with its value, and its history
// of transitions and notification deliveries, newest first.
"use strict";

(() => {
  const {el, when, badge, dataTable: table} = LL;
  const box = document.getElementById("alert");
  const ref = box.dataset.ref;
  const path = "/api/alerts/" + ref.split("/").map(encodeURIComponent).join("/");
  const HISTORY = 100;
  const groupText = (group) => Object.entries(group || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "(all)";
  const value = (v) => (v === null || v === undefined ? "no data" : LL.number(v));

  function historyRow(e) {
    if (e.kind === "transition") {
      return {time: e.time_ms, what: `${e.from} → ${e.to}`, group: groupText(e.group),
        detail: `value ${value(e.value)}` + (e.previous !== null && e.previous !== undefined ? `, before ${value(e.previous)}` : ""),
        bad: e.to === "firing"};
    }
    return {time: e.time_ms, what: `${e.event} to ${e.channel}`, group: groupText(e.group),
      detail: LL.deliveryText(e), bad: !e.ok};
  }

  function render(alert, history) {
    const query = typeof alert.query === "object" && alert.query
      ? el("a", {href: "/query?" + new URLSearchParams({q: JSON.stringify(alert.query)})}, "open its query")
      : el("span", {}, "query ", el("code", {}, String(alert.query ?? "")));
    const bad = ["firing", "error", "invalid"].includes(alert.state);
    box.replaceChildren(...[
      el("h2", {}, alert.name),
      alert.description ? el("p", {class: "muted"}, alert.description) : null,
      el("div", {class: "summary"}, badge(alert.state, bad),
        ` ${alert.severity} · threshold ${alert.threshold ?? ""} · every ${alert.frequency ?? ""}` +
        ` over ${alert.window ?? alert.frequency ?? ""} · last evaluated ${alert.last_eval_ms ? when(alert.last_eval_ms) : "not yet"}` +
        (alert.snoozed_until_ms ? ` · snoozed until ${when(alert.snoozed_until_ms)}` : "")),
      el("p", {}, query, " · channels: ", (alert.channels || []).join(", ") || "none"),
      alert.error || alert.last_error ? el("p", {class: "error"}, alert.error || alert.last_error) : null,
      el("h2", {}, "Instances"),
      alert.instances.length
        ? table([["Group", (i) => groupText(i.group)], ["State", (i) => badge(i.state, i.state === "firing")],
            ["Value", (i) => value(i.value)], ["Since", (i) => when(i.since_ms)]], alert.instances)
        : el("p", {class: "muted"}, "No instance yet: it appears at the first evaluation."),
      el("h2", {}, "History"),
      history.entries.length
        ? table([["Time", (h) => when(h.time)], ["What", (h) => badge(h.what, h.bad)],
            ["Group", (h) => h.group], ["Detail", (h) => h.detail]], history.entries.map(historyRow))
        : el("p", {class: "muted"}, "Nothing has happened yet."),
      history.total > history.entries.length
        ? el("p", {class: "muted"}, `The newest ${history.entries.length} of ${LL.number(history.total)} entries.`) : null,
    ].filter(Boolean));
  }

  async function load() {
    LL.state(box, "loading", "Loading the alert…");
    try {
      const [alert, history] = await Promise.all([LL.api(path), LL.api(path + "/history?limit=" + HISTORY)]);
      render(alert, history);
    } catch (error) {
      LL.state(box, "error", error.message, "See every alert on the Alerts page.");
    }
  }

  document.getElementById("ask-ai").addEventListener("click", () => LL.askAI({kind: "alert", id: ref}));
  load();
})();
