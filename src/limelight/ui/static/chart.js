// Time-series charts with uPlot: one line per group, legend with hover values, and
// drag-to-zoom that hands the selected time range back to the page.
"use strict";

const Chart = (() => {
  let plot = null;
  let resize = null;

  const groupKey = (groups) => JSON.stringify(groups);
  // Times in UTC, like the events and lists beside the chart.
  const utc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
  const groupLabel = (groups) => Object.values(groups).map(String).join(", ") || "all";
  const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  // The response's series as uPlot columns: x in seconds, then one column per group in
  // the order of `groupsInOrder` (the aggregate table's order, so colours match).
  // A bucket without the group's point is `empty`: 0 for counts, else a gap.
  function columns(series, groupsInOrder, label, empty = null) {
    const index = new Map(groupsInOrder.map((g, i) => [groupKey(g), i]));
    const xs = new Float64Array(series.length);
    const ys = groupsInOrder.map(() => new Array(series.length).fill(empty));
    series.forEach((bucket, t) => {
      xs[t] = bucket.time / 1000;
      for (const point of bucket.data) {
        const i = index.get(groupKey(point.groups));
        if (i !== undefined) ys[i][t] = point.values[label] ?? null;
      }
    });
    return [xs, ...ys];
  }

  // Draws `label` of every group; `onZoom(fromMs, toMs)` when the user drags a range.
  function draw(container, series, groupsInOrder, label, onZoom, empty = null) {
    destroy();
    const axis = {stroke: cssColor("--muted"), grid: {stroke: cssColor("--line"), width: 1},
      ticks: {stroke: cssColor("--line"), width: 1}};
    const options = {
      width: Math.max(container.clientWidth, 300), height: 260,
      series: [{}, ...groupsInOrder.map((g, i) => ({
        label: groupLabel(g), stroke: LL.color(i), width: 1, spanGaps: false,
        value: (u, v) => LL.number(v),
      }))],
      axes: [axis, {...axis, size: 60, values: (u, ticks) => ticks.map(LL.number)}],
      tzDate: utc,
      cursor: {drag: {x: true, y: false, setScale: false}},
      legend: {live: true},
      hooks: {setSelect: [(u) => {
        if (u.select.width < 2) return;
        const from = u.posToVal(u.select.left, "x") * 1000;
        const to = u.posToVal(u.select.left + u.select.width, "x") * 1000;
        u.setSelect({left: 0, width: 0, top: 0, height: 0}, false);
        onZoom(Math.floor(from), Math.ceil(to));
      }]},
    };
    container.replaceChildren();
    plot = new uPlot(options, columns(series, groupsInOrder, label, empty), container);
    // Redraw on a real width change only: the observer also fires once when it starts.
    let width = options.width;
    resize = new ResizeObserver(() => {
      const now = Math.max(container.clientWidth, 300);
      if (plot && now !== width) { width = now; plot.setSize({width, height: 260}); }
    });
    resize.observe(container);
  }

  function destroy() {
    if (resize) { resize.disconnect(); resize = null; }
    if (plot) { plot.destroy(); plot = null; }
  }

  // A small line without axes or legend, for tables of services.
  function sparkline(container, xs, ys, color) {
    return new uPlot({
      width: 140, height: 28, class: "sparkline", legend: {show: false}, cursor: {show: false},
      select: {show: false}, axes: [{show: false}, {show: false}],
      scales: {x: {time: false}},
      series: [{}, {stroke: color, width: 1.25, fill: color + "22"}],
    }, [xs, ys], container);
  }

  return {draw, destroy, sparkline, groupKey, groupLabel, columns, utc};
})();
