// A dashboard defined as code: every widget's query answered by the server over the page's
// time range (GET /api/dashboards/{service}/{id}), drawn as a time series, a statistic,
// a table or bars, each with a link to open its query in the query builder.
"use strict";

(() => {
  const {el} = LL;
  const box = document.getElementById("widgets");
  const base = `/api/dashboards/${encodeURIComponent(box.dataset.service)}/${encodeURIComponent(box.dataset.dashboard)}`;
  const plots = [];

  const firstLabel = (result) => Object.keys(result.aggregates[0]?.values || {})[0];
  const queryHref = (spec) => {
    const {from, to, ...rest} = spec;
    return "/query?" + new URLSearchParams({q: JSON.stringify(rest), ...LL.range()});
  };

  function timeseries(body, result, spec) {
    const label = firstLabel(result);
    const empty = LL.countLabels(spec).has(label) ? 0 : null;  // counts: 0, not a gap
    const groups = result.aggregates.slice(0, 30).map((a) => a.groups);
    if (!label || !result.series.length) return LL.noData(body, "events");
    const keys = groups.map((g) => Chart.groupKey(g));
    const xs = result.series.map((b) => b.time / 1000);
    const ys = keys.map((k) => result.series.map((b) => {
      const point = b.data.find((d) => Chart.groupKey(d.groups) === k);
      return point ? point.values[label] ?? empty : empty;
    }));
    const width = Math.max(body.clientWidth, 280);
    plots.push(new uPlot({
      width, height: 200, legend: {live: false},
      series: [{}, ...groups.map((g, i) => ({label: Chart.groupLabel(g), stroke: LL.color(i), width: 1}))],
      axes: [{}, {size: 50, values: (u, ticks) => ticks.map(LL.number)}], tzDate: Chart.utc,
    }, [xs, ...ys], body));
  }

  function statistic(body, result) {
    const label = firstLabel(result);
    const first = result.aggregates[0];
    if (!label || !first) return LL.noData(body, "events");
    const groups = Object.values(first.groups).join(", ");
    body.replaceChildren(el("div", {class: "stat-value"}, LL.number(first.values[label])),
      el("div", {class: "muted"}, label + (groups ? ` · ${groups}` : "")));
  }

  function table(body, result) {
    const rows = result.aggregates;
    if (!rows.length) return LL.noData(body, "events");
    const groupKeys = Object.keys(rows[0].groups);
    const labels = Object.keys(rows[0].values);
    body.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, [...groupKeys, ...labels].map((k, i) =>
        el("th", {class: i >= groupKeys.length ? "num" : null}, k)))),
      el("tbody", {}, rows.slice(0, 50).map((r) => el("tr", {},
        groupKeys.map((k) => el("td", {}, String(r.groups[k] ?? "–"))),
        labels.map((k) => el("td", {class: "num"}, LL.number(r.values[k]))))))));
  }

  function bars(body, result) {
    const label = firstLabel(result);
    const rows = result.aggregates.slice(0, 20);
    if (!label || !rows.length) return LL.noData(body, "events");
    const top = Math.max(...rows.map((r) => Number(r.values[label]) || 0), 1);
    body.replaceChildren(...rows.map((r, i) => {
      // Set through the CSSOM: the console's CSP refuses style attributes in markup.
      const bar = el("span", {class: "bar"});
      bar.style.width = `${(100 * (Number(r.values[label]) || 0) / top).toFixed(1)}%`;
      bar.style.background = LL.color(i);
      return el("div", {class: "bar-row"},
        el("span", {class: "bar-label"}, Object.values(r.groups).join(", ") || "all"),
        el("span", {class: "bar-track"}, bar), el("span", {class: "num"}, LL.number(r.values[label])));
    }));
  }

  const DRAW = {timeseries, statistic, table, bar: bars};

  async function load() {
    plots.splice(0).forEach((p) => p.destroy());
    LL.state(box, "loading", "Loading…");
    let dashboard;
    try {
      dashboard = await LL.api(base + "?" + new URLSearchParams(LL.range()));
    } catch (error) {
      return LL.state(box, "error", error.message);
    }
    document.getElementById("dashboard-name").textContent = dashboard.name;
    document.getElementById("dashboard-description").textContent = dashboard.description || "";
    box.replaceChildren();
    for (const widget of dashboard.widgets) {
      const body = el("div", {class: "widget-body"});
      const links = widget.spec ? el("a", {href: queryHref(widget.spec), class: "muted"}, "Open query") : null;
      box.append(el("section", {class: "widget " + widget.type, "data-type": widget.type},
        el("header", {}, el("h2", {}, widget.title || widget.query_id || widget.type), links), body));
      if (widget.error) LL.state(body, "error", widget.error);
      else DRAW[widget.type](body, widget.result, widget.spec || {});
    }
  }

  window.addEventListener("popstate", () => { LL.timePicker(load); load(); });
  LL.timePicker(load);
  load();
})();
