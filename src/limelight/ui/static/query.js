// The query builder, laid out as Honeycomb's rows. The spec (without the time range,
// which is the page's `from`/`to`) lives in the URL as ?q=<json>.
"use strict";

(() => {
  const {el} = LL;
  const CALCS = ["COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX", "MEDIAN", "P001", "P01",
    "P05", "P10", "P25", "P75", "P90", "P95", "P99", "P999", "STDDEV", "VARIANCE"];
  const OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "LIKE", "NOT_LIKE", "INCLUDES",
    "DOES_NOT_INCLUDE", "MATCH_REGEX", "EXISTS", "DOES_NOT_EXIST", "IN", "NOT_IN",
    "STARTS_WITH", "ENDS_WITH"];
  const UNARY = ["EXISTS", "DOES_NOT_EXIST"];
  const GRANULARITIES = ["auto", "10s", "30s", "1m", "5m", "15m", "1h", "6h", "1d"];
  const form = document.getElementById("builder");
  const $ = (id) => document.getElementById(id);

  // -- the spec in the URL --------------------------------------------------------------
  // A new query counts events over time, as Honeycomb's does. Alert notifications link
  // with ?spec=, whose time range moves to the page's from/to.
  function specFromUrl() {
    const params = LL.params();
    let spec;
    try {
      spec = JSON.parse(params.get("q") || params.get("spec") || '{"calculations": ["COUNT"]}');
    } catch {
      return {};
    }
    if (!spec || typeof spec !== "object") return {};
    if (!params.has("q") && (spec.from || spec.to)) {
      LL.setParams({from: String(spec.from || "1h"), to: String(spec.to || "now"), spec: []}, false);
    }
    delete spec.from;
    delete spec.to;
    return spec;
  }

  // "P99($duration_ms) as p99" -> {op, key, alias}; kept apart so editing keeps the alias.
  function parseCalc(text) {
    const m = /^\s*([A-Za-z_0-9]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*(?:\s[aA][sS]\s+(.+?))?\s*$/.exec(text) || [];
    return {op: (m[1] || "COUNT").toUpperCase(), key: m[2] || "", alias: m[3] || ""};
  }

  const calcText = ({op, key, alias}) =>
    (key || op !== "COUNT" ? `${op}(${key})` : op) + (alias ? ` as ${alias}` : "");

  // Filters as the spec's string form: key first word, operator second, value the rest.
  function parseFilter(filter) {
    if (typeof filter === "object" && filter) {
      const value = Array.isArray(filter.value) ? `(${filter.value.join(", ")})` : filter.value ?? "";
      return {key: filter.key || "", op: (filter.operation || "=").toUpperCase(), value: String(value)};
    }
    const [key = "", op = "=", ...rest] = String(filter).trim().split(/\s+/);
    const value = String(filter).trim().slice(key.length).trimStart().slice(op.length).trimStart();
    return {key, op: op.toUpperCase(), value: rest.length ? value : ""};
  }

  const filterText = ({key, op, value}) => UNARY.includes(op) ? `${key} ${op}` : `${key} ${op} ${value}`;

  // -- rows of chips ---------------------------------------------------------------------
  const options = (values, chosen) => values.map((v) => el("option", {value: v, selected: v === chosen}, v));
  const removeButton = () => el("button", {type: "button", class: "x", "aria-label": "remove",
    onclick: (e) => { e.target.closest(".chip").remove(); syncOrder(); }}, "✕");
  const keyInput = (value, name) => el("input", {class: name, list: "keys", value, placeholder: "key",
    "aria-label": name, oninput: () => syncOrder()});

  function calcChip(text) {
    const calc = parseCalc(text);
    const key = keyInput(calc.key, "calc-key");
    const op = el("select", {class: "calc-op", "aria-label": "calculation", onchange: () => {
      key.hidden = op.value === "COUNT"; syncOrder();
    }}, options(CALCS, calc.op));
    key.hidden = calc.op === "COUNT" && !calc.key;
    const chip = el("span", {class: "chip calc"}, op, key, removeButton());
    chip.dataset.alias = calc.alias;
    return chip;
  }

  function filterChip(filter) {
    const f = parseFilter(filter);
    const value = el("input", {class: "filter-value", value: f.value, placeholder: "value", "aria-label": "value"});
    const op = el("select", {class: "filter-op", "aria-label": "operator",
      onchange: () => { value.hidden = UNARY.includes(op.value); }}, options(OPERATORS, f.op));
    value.hidden = UNARY.includes(f.op);
    return el("span", {class: "chip filter"}, keyInput(f.key, "filter-key"), op, value, removeButton());
  }

  const groupChip = (key) => el("span", {class: "chip group"}, keyInput(key, "group-key"), removeButton());

  // -- the form <-> the spec -------------------------------------------------------------
  function readForm() {
    const all = (selector) => [...form.querySelectorAll(selector)];
    const calculations = all(".chip.calc").map((chip) => calcText({op: chip.querySelector(".calc-op").value,
      key: chip.querySelector(".calc-key").value.trim(), alias: chip.dataset.alias}));
    const filters = all(".chip.filter").map((chip) => ({key: chip.querySelector(".filter-key").value.trim(),
      op: chip.querySelector(".filter-op").value, value: chip.querySelector(".filter-value").value}))
      .filter((f) => f.key).map(filterText);
    const groupBys = all(".group-key").map((i) => i.value.trim()).filter(Boolean);
    const spec = {datasets: [$("dataset").value]};
    if (calculations.length) spec.calculations = calculations;
    if (filters.length) spec.filters = filters;
    if (filters.length > 1 && $("combination").value === "OR") spec.filterCombination = "OR";
    if (groupBys.length) spec.groupBys = groupBys;
    if ($("order").value) spec.orderBy = {value: $("order").value, order: $("direction").value};
    const limit = parseInt($("limit").value, 10);
    if (limit && limit !== 100) spec.limit = limit;
    if ($("needle").value) {
      spec.needle = {value: $("needle").value, isRegex: $("regex").checked, matchCase: $("matchcase").checked};
    }
    if (calculations.length) spec.granularity = $("granularity").value;
    return spec;
  }

  function fillForm(spec) {
    $("dataset").value = (spec.datasets || ["otel"])[0];
    $("calcs").replaceChildren(...(spec.calculations || []).map(calcChip));
    $("filters").replaceChildren(...(spec.filters || []).map(filterChip));
    $("groups").replaceChildren(...(spec.groupBys || []).map(groupChip));
    $("combination").value = spec.filterCombination === "OR" ? "OR" : "AND";
    const needle = typeof spec.needle === "string" ? {value: spec.needle} : spec.needle || {};
    $("needle").value = needle.value || "";
    $("regex").checked = !!needle.isRegex;
    $("matchcase").checked = !!needle.matchCase;
    $("limit").value = spec.limit || 100;
    const granularity = spec.granularity || "auto";
    $("granularity").replaceChildren(...options([...new Set([...GRANULARITIES, granularity])], granularity));
    syncOrder(typeof spec.orderBy === "string" ? {value: spec.orderBy}
      : spec.orderBy || {value: ""});
  }

  // ORDER BY offers what the query has: its calculations and its groups.
  function syncOrder(chosen) {
    const select = $("order");
    const keep = chosen ? chosen.value : select.value;
    if (chosen) $("direction").value = (chosen.order || "DESC").toUpperCase();
    const spec = readFormLabels();
    select.replaceChildren(el("option", {value: ""}, "default"), ...options(spec, keep));
    select.value = spec.includes(keep) ? keep : "";
  }

  const readFormLabels = () => [
    ...[...form.querySelectorAll(".chip.calc")].map((chip) => {
      const alias = chip.dataset.alias;
      return alias || calcText({op: chip.querySelector(".calc-op").value,
        key: chip.querySelector(".calc-key").value.trim(), alias: ""});
    }),
    ...[...form.querySelectorAll(".group-key")].map((i) => i.value.trim()).filter(Boolean),
  ];

  // -- keys autocomplete, copying ---------------------------------------------------------
  async function loadKeys(dataset) {
    try {
      const {keys} = await LL.api("/api/keys?dataset=" + encodeURIComponent(dataset));
      $("keys").replaceChildren(...keys.map((k) => el("option", {value: k.key}, `${k.type} · ${k.count}`)));
    } catch {
      $("keys").replaceChildren();  // a dataset with no data yet has no keys to offer
    }
  }

  const fullSpec = () => ({...readForm(), ...LL.range()});

  function yamlValue(value, indent) {
    if (Array.isArray(value)) return "[" + value.map((v) => JSON.stringify(v)).join(", ") + "]";
    if (value && typeof value === "object") {
      return "\n" + Object.entries(value).map(([k, v]) =>
        `${" ".repeat(indent)}${k}: ${yamlValue(v, indent + 2)}`).join("\n");
    }
    return JSON.stringify(value);
  }

  function asYaml(spec) {
    const name = (spec.calculations || ["events"]).join(", ") +
      (spec.groupBys ? " by " + spec.groupBys.join(", ") : "");
    const id = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "query";
    return `${id}:\n  type: query\n  properties:\n    name: ${JSON.stringify(name)}\n` +
      `    parameters:${yamlValue(spec, 6)}\n`;
  }

  // The text also stays in a hidden field: where the clipboard is not allowed (plain http
  // on another host), it is copied from there.
  async function copy(text, what) {
    const area = $("clipboard");
    area.value = text;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      area.select();
      document.execCommand("copy");
    }
    $("status").textContent = `Copied the query as ${what}.`;
  }

  // -- running -------------------------------------------------------------------------
  function run(push) {
    const spec = readForm();
    LL.setParams({q: JSON.stringify(spec), spec: []}, push);
    QueryResults.show({...spec, ...LL.range()}, {
      onZoom: (from, to) => {
        LL.setParams({from: String(from), to: String(to)});
        LL.timePicker(() => run(true));
        run(true);
      },
      // Clicking a value in an event adds it as a filter and runs the query again.
      onFilter: (key, value) => {
        $("filters").append(filterChip(`${key} = ${value}`));
        run(true);
      },
      onGroup: (groups) => {
        for (const [key, value] of Object.entries(groups)) {
          $("filters").append(filterChip(value === null ? `${key} DOES_NOT_EXIST` : `${key} = ${value}`));
        }
        run(true);
      },
    });
  }

  async function init() {
    const spec = specFromUrl();
    try {
      const {datasets} = await LL.api("/api/datasets");
      const names = datasets.map((d) => d.name);
      empty = !names.length;
      const chosen = (spec.datasets || [names.includes("otel") || !names.length ? "otel" : names[0]])[0];
      if (!names.includes(chosen)) names.push(chosen);
      $("dataset").replaceChildren(...options(names, chosen));
      spec.datasets = [chosen];
    } catch (error) {
      LL.state($("table"), "error", error.message);
      return;
    }
    fillForm(spec);
    loadKeys(spec.datasets[0]);
    $("dataset").addEventListener("change", () => loadKeys($("dataset").value));
    $("add-calc").addEventListener("click", () => { $("calcs").append(calcChip("COUNT")); syncOrder(); });
    $("add-filter").addEventListener("click", () => $("filters").append(filterChip({})));
    $("add-group").addEventListener("click", () => $("groups").append(groupChip("")));
    $("copy-json").addEventListener("click", () => copy(JSON.stringify(fullSpec(), null, 2), "JSON"));
    $("copy-yaml").addEventListener("click", () => copy(asYaml(fullSpec()), ".limelight YAML"));
    $("ask-ai").addEventListener("click", () => LL.askAI({kind: "query", query: fullSpec()}));
    form.addEventListener("submit", (e) => { e.preventDefault(); run(true); });
    window.addEventListener("popstate", () => { fillForm(specFromUrl()); LL.timePicker(() => run(true)); run(false); });
    LL.timePicker(() => run(true));
    if (empty) LL.noData($("table"), "events");  // the builder stays usable meanwhile
    else run(false);
  }

  let empty = false;
  init();
})();
