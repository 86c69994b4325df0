// Events / search: newest first, filters from clicked values, and live tail over SSE.
// State in the URL: dataset, filter (repeatable), needle, from, to, tail=1.
"use strict";

(() => {
  const {el} = LL;
  const SHOWN = 1000;  // newest events loaded; older ones by narrowing the range
  const box = document.getElementById("events");
  const status = document.getElementById("status");
  const datasetSelect = document.getElementById("dataset");
  const needleInput = document.getElementById("needle");
  const tailBox = document.getElementById("tail");
  let source = null;

  const current = () => {
    const p = LL.params();
    return {dataset: p.get("dataset") || "otel", filters: p.getAll("filter"),
      needle: p.get("needle") || "", tail: p.get("tail") === "1"};
  };

  function addFilter(key, value) {
    const filters = current().filters;
    const filter = `${key} = ${value}`;
    if (!filters.includes(filter)) LL.setParams({filter: [...filters, filter]});
    load();
  }

  function showFilters(filters) {
    document.getElementById("filters").replaceChildren(...(filters.length ? filters.map((f, i) =>
      el("span", {class: "chip filter"}, el("code", {}, f), el("button", {type: "button", class: "x",
        "aria-label": "remove filter", onclick: () => {
          LL.setParams({filter: filters.filter((_, j) => j !== i)});
          load();
        }}, "✕"))) : [el("span", {class: "muted"}, "click a value in an event to filter on it")]));
  }

  async function load() {
    const {dataset, filters, needle, tail} = current();
    datasetSelect.value = dataset;
    needleInput.value = needle;
    tailBox.checked = tail;
    showFilters(filters);
    LL.state(box, "loading", "Loading events…");
    status.textContent = "Searching…";
    const spec = {datasets: [dataset], filters, ...LL.range(), limit: SHOWN};
    if (needle) spec.needle = needle;
    try {
      const result = await LL.api("/api/query", spec);
      status.textContent = result.events.length < SHOWN
        ? `${result.events.length} newest events · ${result.statistics.elapsed_ms} ms`
        : `${LL.number(SHOWN)} newest events (there are more: narrow the time range or ` +
          `add a filter to see older ones) · ${result.statistics.elapsed_ms} ms`;
      EventRows.render(box, result.events, addFilter);
    } catch (error) {
      LL.state(box, "error", error.message,
        LL.hintFor(error, "Fix the filter or search, or remove it."));
    }
    follow(tail);
  }

  function follow(on) {
    if (source) { source.close(); source = null; }
    if (!on) return;
    const {dataset, filters, needle} = current();
    const query = new URLSearchParams({dataset});
    filters.forEach((f) => query.append("filter", f));
    if (needle) query.set("needle", needle);
    source = new EventSource("/api/tail?" + query);
    source.addEventListener("open", () => { status.textContent = "Live tail: waiting for new events…"; });
    source.addEventListener("event", (message) => {
      EventRows.prepend(box, JSON.parse(message.data), addFilter);
      status.textContent = "Live tail: new event at " + new Date().toLocaleTimeString();
    });
    source.addEventListener("error", () => { status.textContent = "Live tail: reconnecting…"; });
  }

  async function init() {
    try {
      const {datasets} = await LL.api("/api/datasets");
      const names = datasets.map((d) => d.name);
      if (!names.length) { LL.noData(box, "events"); return; }
      const chosen = current().dataset;
      if (!names.includes(chosen)) names.push(chosen);
      datasetSelect.replaceChildren(...names.map((n) => el("option", {value: n}, n)));
    } catch (error) {
      LL.state(box, "error", error.message);
      return;
    }
    document.getElementById("search").addEventListener("submit", (e) => {
      e.preventDefault();
      LL.setParams({needle: needleInput.value, dataset: datasetSelect.value});
      load();
    });
    datasetSelect.addEventListener("change", () => {
      LL.setParams({dataset: datasetSelect.value, filter: []});
      load();
    });
    tailBox.addEventListener("change", () => {
      LL.setParams({tail: tailBox.checked ? "1" : []}, false);
      follow(tailBox.checked);
    });
    window.addEventListener("popstate", () => { LL.timePicker(load); load(); });
    LL.timePicker(load);
    load();
  }

  init();
})();
