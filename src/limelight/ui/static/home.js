// Home: every service and namespace with requests, error rate and P90 duration over the
// range, each with a sparkline of its requests. Requests are entry spans (server or
// consumer), so a call to a database does not count as one; spans without a kind (some
// SDKs send none) all count.
"use strict";

(() => {
  const {el} = LL;
  const box = document.getElementById("services");
  const GROUPS = ["$service", "$namespace"];
  let requests = ["$kind = span"];  // narrowed to entry spans once the keys are known

  const key = (groups) => GROUPS.map((g) => groups[g]).join("\u0000");

  function queryLink(groups) {
    const filters = [...requests, ...GROUPS.filter((g) => groups[g] !== undefined).map((g) => `${g} = ${groups[g]}`)];
    const spec = {datasets: ["otel"], calculations: ["COUNT", "P90($duration_ms)"], filters,
      groupBys: ["$name"], granularity: "auto"};
    const {from, to} = LL.range();
    return "/query?" + new URLSearchParams({q: JSON.stringify(spec), from, to});
  }

  async function load() {
    LL.state(box, "loading", "Loading services…");
    try {
      const {datasets} = await LL.api("/api/datasets");
      if (!datasets.some((d) => d.name === "otel")) { LL.noData(box, "traces"); return; }
      const {keys} = await LL.api("/api/keys?dataset=otel");
      if (keys.some((k) => k.key === "span.kind")) requests = ["$kind = span", "span.kind IN (server, consumer)"];
      const base = {datasets: ["otel"], filters: requests, groupBys: GROUPS, limit: 1000, ...LL.range()};
      const [all, failed] = await Promise.all([
        LL.api("/api/query", {...base, calculations: ["COUNT", "P90($duration_ms) as p90"],
          orderBy: {value: "COUNT", order: "DESC"}, granularity: "auto"}),
        LL.api("/api/query", {...base, filters: [...requests, "$error = true"], calculations: ["COUNT"]}),
      ]);
      if (!all.aggregates.length) { LL.noData(box, "requests"); return; }
      render(all, new Map(failed.aggregates.map((a) => [key(a.groups), a.values.COUNT])));
    } catch (error) {
      LL.state(box, "error", error.message, "Check that the server is running, then reload.");
    }
  }

  function render(result, errorsByGroup) {
    const xs = result.series.map((b) => b.time / 1000);
    const rows = result.aggregates.map((agg, i) => {
      const errors = errorsByGroup.get(key(agg.groups)) || 0;
      const rate = agg.values.COUNT ? errors / agg.values.COUNT : 0;
      const spark = el("td", {class: "spark"});
      const link = queryLink(agg.groups);
      const row = el("tr", {class: "link service", onclick: () => location.assign(link)},
        el("td", {}, el("a", {href: link}, agg.groups.$service ?? "(none)")),
        el("td", {}, agg.groups.$namespace ?? "–"),
        el("td", {class: "num"}, LL.number(agg.values.COUNT)), spark,
        el("td", {class: "num"}, el("span", {class: rate > 0.01 ? "badge bad" : "badge"},
          (rate * 100).toFixed(2) + " %")),
        el("td", {class: "num"}, LL.duration(agg.values.p90)));
      return {row, spark, agg, color: LL.color(i)};
    });
    box.replaceChildren(el("table", {id: "service-table"},
      el("thead", {}, el("tr", {}, el("th", {}, "Service"), el("th", {}, "Namespace"),
        el("th", {class: "num"}, "Requests"), el("th", {}, "Requests over time"),
        el("th", {class: "num"}, "Error rate"), el("th", {class: "num"}, "P90 duration"))),
      el("tbody", {}, rows.map((r) => r.row))));
    // Sparklines after the table is in the page, so uPlot can measure it.
    const buckets = result.series.map((b) => new Map(b.data.map((d) => [key(d.groups), d.values.COUNT])));
    for (const {spark, agg, color} of rows) {
      const k = key(agg.groups);
      Chart.sparkline(spark, xs, buckets.map((m) => m.get(k) ?? 0), color);
    }
  }

  window.addEventListener("popstate", () => { LL.timePicker(load); load(); });
  LL.timePicker(load);
  load();
})();
