// The list pages: traces, errors, alerts, checks, dashboards and settings, each a table
// from its API with an empty state that says how to get something into it.
"use strict";

(() => {
  const {el} = LL;
  const {when, badge} = LL;
  const TRACES = 200;  // newest traces listed

  function table(box, columns, rows, href) {
    box.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, columns.map(([title]) => el("th", {}, title)))),
      el("tbody", {}, rows.map((row) => el("tr", href ? {class: "link", onclick: (e) => {
        if (!e.target.closest("a, button")) location.assign(href(row));
      }} : {},
        // The first cell links to the row's page, so keyboards reach it (Tab, then Enter).
        columns.map(([, cell], i) => el("td", {class: i === 0 ? "main" : null},
          i === 0 && href ? el("a", {href: href(row)}, cell(row)) : cell(row))))))));
  }

  const LISTS = {
    async errors(box) {
      // The filters live in the URL (q, status, service, sort), so Back and links keep them.
      const form = document.getElementById("error-filters");
      const names = ["q", "status", "service", "sort"];
      const choices = {status: ["active", "ignored", "resolved"],
        sort: ["last_seen", "first_seen", "count", "users"]};
      const wanted = new URLSearchParams({limit: "200"});
      for (const name of names) {
        let value = LL.params().get(name) || "";
        if (choices[name] && !choices[name].includes(value)) value = "";  // unknown: left out
        if (value && value !== "last_seen") wanted.set(name, value);
        form.elements[name].value = value || (name === "sort" ? "last_seen" : "");
      }
      if (!form.dataset.ready) {
        form.dataset.ready = "1";
        const reload = () => LISTS.errors(box).catch((error) => LL.state(box, "error", error.message));
        const apply = (e) => {
          e.preventDefault();
          LL.setParams(Object.fromEntries(names.map((n) => {
            const value = form.elements[n].value.trim();
            return [n, value && value !== "last_seen" ? value : []];
          })));
          reload();
        };
        form.addEventListener("submit", apply);
        for (const name of ["status", "sort"]) form.elements[name].addEventListener("change", apply);
        // The search box cleared (Escape or its ×) shows everything again.
        form.elements.q.addEventListener("search", (e) => { if (!e.target.value) apply(e); });
        window.addEventListener("popstate", reload);
        // Suggest the services of the newest groups, whatever the filters.
        LL.api("/api/errors?limit=500").then(({errors}) => {
          const services = [...new Set(errors.flatMap((e) => e.services || []))].sort();
          document.getElementById("error-services").replaceChildren(...services.map((s) => el("option", {value: s})));
        }).catch(() => {});
      }
      const request = box.dataset.request = String(Number(box.dataset.request || 0) + 1);
      const {errors, total} = await LL.api("/api/errors?" + wanted);
      if (box.dataset.request !== request) return;  // a newer filter's answer is coming
      const filtered = ["q", "status", "service"].some((n) => wanted.has(n));
      if (!total && filtered) return LL.state(box, "empty", "No errors match these filters.", "Clear the search or pick another status or service.");
      if (!total) return LL.state(box, "empty", "No errors yet.", "Errors appear here from failed spans, error logs and Sentry SDKs; run `limelight demo` to see some.");
      table(box, [
        ["Error", (e) => el("span", {}, el("strong", {}, e.title || e.type || e.id), el("div", {class: "muted"}, e.culprit || ""))],
        ["Status", (e) => badge(e.status, e.status !== "resolved")],
        ["Events", (e) => LL.number(e.count)], ["Users", (e) => LL.number(e.users)],
        ["Services", (e) => (e.services || []).join(", ")],
        ["Last seen", (e) => when(e.last_seen_ms)], ["First seen", (e) => when(e.first_seen_ms)],
        ["", (e) => el("button", {type: "button", class: "ai", onclick: (click) => {
          click.stopPropagation();
          LL.askAI({kind: "error", id: e.id});
        }}, "Ask AI")],
      ], errors, (e) => "/errors/" + encodeURIComponent(e.id));
      if (total > errors.length) {
        box.append(el("p", {class: "muted"}, `${errors.length} of ${LL.number(total)} error groups; search or filter to find the others.`));
      }
    },
    async alerts(box) {
      const {alerts} = await LL.api("/api/alerts");
      if (!alerts.length) return LL.state(box, "empty", "No alerts configured.", "Add an `alert` resource to .limelight/ and run `limelight apply`.");
      table(box, [
        ["Alert", (a) => el("strong", {}, a.name)], ["Service", (a) => a.service],
        ["State", (a) => badge(a.state, a.state !== "ok")], ["Severity", (a) => a.severity],
        ["Threshold", (a) => String(a.threshold ?? "")], ["Every", (a) => String(a.frequency ?? "")],
        ["Last evaluated", (a) => when(a.last_eval_ms)],
        ["", (a) => a.state === "invalid" ? "" : el("button", {type: "button", class: "ai", onclick: (click) => {
          click.stopPropagation();
          LL.askAI({kind: "alert", id: `${a.service}/${a.id}`});
        }}, "Ask AI")],
      ], alerts, (a) => `/alerts/${encodeURIComponent(a.service)}/${encodeURIComponent(a.id)}`);
    },
    async checks(box) {
      const {checks} = await LL.api("/api/checks");
      if (!checks.length) return LL.state(box, "empty", "No health checks configured.", "Add a `check` resource (url, interval) to .limelight/ and run `limelight apply`.");
      table(box, [
        ["Check", (c) => el("strong", {}, c.name)], ["URL", (c) => el("code", {}, c.url || "")],
        ["Status", (c) => badge(c.status, c.status === "down" || c.status === "failing" || c.status === "invalid")],
        ["Latency", (c) => LL.duration(c.last_run?.latency_ms)],
        ["Failures in a row", (c) => LL.number(c.consecutive_failures)],
        ["Last run", (c) => (c.last_run ? when(c.last_run.time_ms) : "not yet")],
      ], checks, (c) => `/checks/${encodeURIComponent(c.service)}/${encodeURIComponent(c.id)}`);
    },
    async dashboards(box) {
      const {dashboards} = await LL.api("/api/dashboards");
      if (!dashboards.length) return LL.state(box, "empty", "No dashboards yet.", "Add a `dashboard` resource to .limelight/ and run `limelight apply`; `limelight demo` adds one.");
      table(box, [["Dashboard", (d) => el("strong", {}, d.name)], ["Service", (d) => d.service],
        ["Widgets", (d) => LL.number(d.widgets)], ["Description", (d) => d.description]], dashboards,
        (d) => `/dashboards/${encodeURIComponent(d.service)}/${encodeURIComponent(d.id)}?` +
          new URLSearchParams(LL.range()));
    },
    async settings(box) {
      const {datasets} = await LL.api("/api/datasets");
      const sections = [el("h2", {}, "Datasets")];
      const data = el("div", {class: "panel"});
      if (datasets.length) {
        table(data, [["Dataset", (d) => el("a", {href: "/events?dataset=" + encodeURIComponent(d.name)}, d.name)],
          ["Events", (d) => LL.number(d.events)], ["Newest", (d) => (d.last ? LL.shortTime(d.last) + " UTC" : "–")],
          ["Retention (days)", (d) => LL.number(d.retention_days)]], datasets);
      } else LL.noData(data, "datasets");
      sections.push(data, el("h2", {}, "API keys"));
      const keys = el("div", {class: "panel"});
      if (box.dataset.admin === "true") {
        const listed = (await LL.api("/api/api-keys")).keys;
        table(keys, [["Id", (k) => el("code", {}, k.id)], ["Scope", (k) => k.scope], ["Name", (k) => k.name],
          ["Created", (k) => when(k.created_ms)]], listed);
      } else LL.state(keys, "empty", "Only an admin key can list API keys.");
      sections.push(keys, el("p", {class: "hint"}, "Manage keys with `limelight keys list|create|revoke`."));
      box.replaceChildren(...sections);
    },
  };

  async function traces() {
    const box = document.getElementById("traces");
    const onlyErrors = document.getElementById("only-errors");
    onlyErrors.checked = LL.params().get("errors") === "1";
    LL.state(box, "loading", "Loading traces…");
    const filters = ["$kind = span", "$parent_span_id DOES_NOT_EXIST"];
    if (onlyErrors.checked) filters.push("$error = true");
    try {
      const {datasets} = await LL.api("/api/datasets");
      if (!datasets.some((d) => d.name === "otel")) return LL.noData(box, "traces");
      const {events} = await LL.api("/api/query", {datasets: ["otel"], filters, limit: TRACES, ...LL.range()});
      if (!events.length) return LL.noData(box, "traces");
      table(box, [["Started", (s) => LL.shortTime(s.$timestamp)], ["Service", (s) => s.$service],
        ["Root span", (s) => el("a", {href: "/traces/" + s.$trace_id}, s.$name || s.$trace_id)],
        ["Duration", (s) => LL.duration(s.$duration_ms)], ["Status", (s) => badge(s.$error ? "error" : "ok", s.$error)]],
      events, (s) => "/traces/" + s.$trace_id);
      if (events.length === TRACES) {
        box.append(el("p", {class: "muted"}, `The newest ${TRACES} traces; there are more: ` +
          "narrow the time range to see older ones."));
      }
    } catch (error) {
      LL.state(box, "error", error.message);
    }
  }

  const listBox = document.getElementById("list");
  if (listBox) {
    LL.state(listBox, "loading", "Loading…");
    LISTS[listBox.dataset.list](listBox).catch((error) => LL.state(listBox, "error", error.message,
      "This part of the server may not be configured yet."));
  } else {
    document.getElementById("lookup").addEventListener("submit", (e) => {
      e.preventDefault();
      location.assign("/traces/" + document.getElementById("trace-id").value.trim().toLowerCase());
    });
    document.getElementById("only-errors").addEventListener("change", (e) => {
      LL.setParams({errors: e.target.checked ? "1" : []});
      traces();
    });
    window.addEventListener("popstate", () => { LL.timePicker(traces); traces(); });
    LL.timePicker(traces);
    traces();
  }
})();
