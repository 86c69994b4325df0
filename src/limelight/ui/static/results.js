// A query's results: the chart above the aggregate table (one colour per group in both)
// and the matching events. Large results stay light: the chart draws the first groups
// only and the table renders a page of rows at a time.
"use strict";

const QueryResults = (() => {
  const {el} = LL;
  const TABLE_PAGE = 50;
  const CHART_GROUPS = 30;
  const $ = (id) => document.getElementById(id);
  let generation = 0;  // a newer run wins over answers to an older one

  function labelsOf(spec, result) {
    const first = result.aggregates[0];
    return first ? Object.keys(first.values) : (spec.calculations || []);
  }

  // `series` is the answer of the chart's query: the first CHART_GROUPS groups only.
  function chart(spec, series, labels, onZoom) {
    const box = $("chart");
    if (!series || !series.series.length || !labels.length) { Chart.destroy(); box.replaceChildren(); return; }
    const groups = series.aggregates.map((a) => a.groups);
    const canvas = el("div", {class: "plot"});
    const picker = el("select", {id: "chart-label", "aria-label": "calculation charted"},
      labels.map((l) => el("option", {value: l}, l)));
    const ask = el("button", {type: "button", class: "ai", onclick: () => LL.askAI({kind: "query", query: spec})}, "Ask AI");
    box.replaceChildren(el("div", {class: "row"}, picker, " ", ask), canvas);
    const counts = LL.countLabels(spec);
    const drawn = () => Chart.draw(canvas, series.series, groups, picker.value, onZoom,
      counts.has(picker.value) ? 0 : null);
    picker.addEventListener("change", drawn);
    drawn();
  }

  // `onGroup(groups)` runs when a row is clicked: the page narrows the query to that group.
  function table(spec, result, labels, colours, onGroup) {
    const box = $("table");
    const groupBys = spec.groupBys || [];
    const rows = result.aggregates;
    if (!rows.length) { LL.noData(box, "matching events"); return; }
    const head = el("tr", {}, groupBys.map((g) => el("th", {}, g)), labels.map((l) => el("th", {class: "num"}, l)));
    const body = el("tbody");
    const pager = el("div", {class: "pager"});
    const page = (start) => {
      body.replaceChildren(...rows.slice(start, start + TABLE_PAGE).map((row, offset) => {
        const i = start + offset;
        const colour = colours.get(Chart.groupKey(row.groups));
        const swatch = colour === undefined ? null
          : el("span", {class: "swatch", style: {background: LL.color(colour)}});
        const cells = groupBys.length
          ? groupBys.map((g, j) => el("td", {title: String(row.groups[g] ?? "(none)")},
            j === 0 ? swatch : null, String(row.groups[g] ?? "(none)")))
          : [];
        const rowAttrs = groupBys.length
          ? {"data-row": i, class: "link", title: "Filter to this group", onclick: () => onGroup(row.groups)}
          : {"data-row": i};
        return el("tr", rowAttrs, cells, labels.map((l) => el("td", {class: "num", "data-value": JSON.stringify(row.values[l])},
          LL.number(row.values[l]))));
      }));
      const last = Math.min(start + TABLE_PAGE, rows.length);
      pager.replaceChildren(
        el("button", {type: "button", disabled: start === 0, onclick: () => page(start - TABLE_PAGE)}, "‹ Prev"),
        el("span", {class: "muted"}, `rows ${start + 1}–${last} of ${rows.length}`),
        el("button", {type: "button", disabled: last >= rows.length, onclick: () => page(start + TABLE_PAGE)}, "Next ›"));
      pager.hidden = rows.length <= TABLE_PAGE;
    };
    page(0);
    box.replaceChildren(el("table", {id: "aggregates"}, el("thead", {}, head), body), pager);
  }

  async function show(spec, {onZoom, onFilter, onGroup}) {
    const run = ++generation;
    const status = $("status");
    status.textContent = "Running…";
    LL.state($("events"), "loading", "Loading events…");
    const aggregate = spec.calculations && spec.calculations.length;
    if (aggregate) LL.state($("table"), "loading", "Running the query…");
    else { Chart.destroy(); $("chart").replaceChildren(); $("table").replaceChildren(); }
    const eventsSpec = {datasets: spec.datasets, filters: spec.filters, filterCombination: spec.filterCombination,
      needle: spec.needle, from: spec.from, to: spec.to, limit: 200};
    // Series for many groups cost the server a lot and the browser a big answer, and only
    // the first groups are charted: past CHART_GROUPS, the chart asks for those alone.
    const limit = spec.limit || 100;
    const tableSpec = {...spec, granularity: undefined};  // no series: JSON drops undefined
    const chartSpec = {...spec, limit: Math.min(limit, CHART_GROUPS)};
    try {
      const [result, series, events] = await Promise.all([
        aggregate && limit > CHART_GROUPS ? LL.api("/api/query", tableSpec) : null,
        aggregate ? LL.api("/api/query", chartSpec) : null,
        LL.api("/api/query", eventsSpec)]);
      if (run !== generation) return;
      const aggregates = result || series;
      if (aggregates) {
        const labels = labelsOf(spec, aggregates);
        chart(spec, series, labels, onZoom);
        const colours = new Map(series.series.length
          ? series.aggregates.map((a, i) => [Chart.groupKey(a.groups), i]) : []);
        table(spec, aggregates, labels, colours, onGroup);
        status.textContent = `${LL.number(aggregates.statistics.rows_read)} events matched · ` +
          `${Math.max(aggregates.statistics.elapsed_ms, series.statistics.elapsed_ms)} ms`;
      } else {
        status.textContent = `${events.events.length} newest events · ${events.statistics.elapsed_ms} ms`;
      }
      EventRows.render($("events"), events.events, onFilter);
    } catch (error) {
      if (run !== generation) return;
      status.textContent = "";
      Chart.destroy();
      $("chart").replaceChildren();
      LL.state($("table"), "error", error.message,
        LL.hintFor(error, "Change the query and run it again."));
      $("events").replaceChildren();
    }
  }

  return {show};
})();
