// One health check: its settings and status, every kept run (newest first) and the latest
// notification deliveries.
"use strict";

(() => {
  const {el, when, badge, dataTable: table} = LL;
  const box = document.getElementById("check");
  const ref = box.dataset.ref;
  const bad = (status) => ["down", "failing", "invalid"].includes(status);

  function render(check) {
    box.replaceChildren(...[
      el("h2", {}, check.name),
      el("div", {class: "summary"}, badge(check.status, bad(check.status)),
        check.url ? ` ${check.method} ` : " ", check.url ? el("code", {}, check.url) : null,
        check.url ? ` · every ${check.interval_s} s · timeout ${check.timeout_s} s · ` +
          `alerts after ${check.failures_to_alert} failures (${check.severity})` : ""),
      check.problem ? el("p", {class: "error"}, check.problem) : null,
      el("h2", {}, "Runs"),
      check.runs.length
        ? table([["Time", (r) => when(r.time_ms)], ["Result", (r) => badge(r.ok ? "ok" : "failed", !r.ok)],
            ["Status", (r) => String(r.status ?? "–")], ["Latency", (r) => LL.duration(r.latency_ms)],
            ["Error", (r) => r.error || ""],
            ["TLS", (r) => (r.tls_days === null || r.tls_days === undefined ? "" : `${r.tls_days} days left`)]], check.runs)
        : el("p", {class: "muted"}, "Not run yet."),
      el("h2", {}, "Notifications"),
      check.deliveries.length
        ? table([["Time", (d) => when(d.time_ms)], ["What", (d) => badge(`${d.event} to ${d.channel}`, !d.ok)],
            ["Detail", (d) => LL.deliveryText(d)]], check.deliveries)
        : el("p", {class: "muted"}, "None sent."),
    ].filter(Boolean));
  }

  async function load() {
    LL.state(box, "loading", "Loading the check…");
    try {
      render(await LL.api("/api/checks/" + ref.split("/").map(encodeURIComponent).join("/")));
    } catch (error) {
      LL.state(box, "error", error.message, "See every check on the Checks page.");
    }
  }

  load();
})();
