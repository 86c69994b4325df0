// What every console page shares: API calls with the session, the URL as page state,
// the time-range picker, loading/empty/error states, colours and the Ask AI panel.
"use strict";

const LL = (() => {
  const csrf = document.querySelector('meta[name="csrf"]')?.content || "";
  const PRESETS = ["15m", "1h", "6h", "24h", "7d"];
  // One colour per group, the same in chart, legend and table (Tableau 10).
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

  class ApiError extends Error {}
  // The server did not answer at all: nothing in the query or filter to fix.
  class Unreachable extends Error {}
  const UNREACHABLE_HINT = "Check that the server is running, then reload.";
  // The hint under an error: `hint` for what the server refused, else how to get it back.
  const hintFor = (error, hint) => (error instanceof Unreachable ? UNREACHABLE_HINT : hint);

  async function api(path, body) {
    const init = {headers: {"x-limelight-csrf": csrf}, credentials: "same-origin"};
    if (body !== undefined) {
      init.method = "POST";
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new Unreachable("The server cannot be reached.");
    }
    if (response.status === 401) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new ApiError("Your session ended; log in again.");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(data.message || `${path} answered ${response.status}`);
    return data;
  }

  // el("td", {class: "num", onclick: f}, "text", child): text is always set as text, never HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "style") Object.assign(node.style, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // A loading, empty or error message that says what to do next.
  function state(container, kind, message, hint) {
    container.replaceChildren(el("div", {class: "state " + kind, role: kind === "error" ? "alert" : null},
      message, hint ? el("div", {}, hint) : null));
  }

  function noData(container, what) {
    container.replaceChildren(el("div", {class: "state empty"},
      `No ${what} in this time range. `, el("br"),
      "No data yet? Run ", el("code", {}, "limelight demo"),
      " or send OpenTelemetry data to this server, then widen the time range."));
  }

  const params = () => new URLSearchParams(location.search);

  // Changed keys keep their place in the query string, so setting a value it already
  // has changes nothing (and adds no history entry).
  function setParams(changes, push = true) {
    const next = new URLSearchParams();
    const values = (key) => [].concat(changes[key] ?? []).filter((item) => item !== "");
    for (const [key, value] of params()) {
      if (!(key in changes)) next.append(key, value);
      else if (!next.has(key)) for (const item of values(key)) next.append(key, item);
    }
    for (const key of Object.keys(changes)) {
      if (!next.has(key)) for (const item of values(key)) next.append(key, item);
    }
    const url = location.pathname + (next.toString() ? "?" + next : "");
    if (url !== location.pathname + location.search) {
      history[push ? "pushState" : "replaceState"](null, "", url);
    }
  }

  const range = () => ({from: params().get("from") || "1h", to: params().get("to") || "now"});

  // The picker writes `from`/`to` into the URL and calls `onChange`; pages re-read the URL.
  function timePicker(onChange) {
    const box = document.getElementById("timerange");
    if (!box) return;
    const {from, to} = range();
    const isPreset = PRESETS.includes(from) && to === "now";
    const select = el("select", {id: "range", "aria-label": "time range"},
      ...PRESETS.map((p) => el("option", {value: p, selected: isPreset && p === from}, "Last " + p)),
      el("option", {value: "custom", selected: !isPreset}, "Custom…"));
    const fromInput = el("input", {type: "datetime-local", id: "range-from", "aria-label": "from",
      value: isPreset ? "" : utcInput(from)});
    const toInput = el("input", {type: "datetime-local", id: "range-to", "aria-label": "to",
      value: isPreset ? "" : utcInput(to)});
    const custom = el("span", {class: "custom", hidden: isPreset}, fromInput, "→", toInput, " UTC ",
      el("button", {type: "button", onclick: () => {
        if (!fromInput.value) return;
        const end = toInput.value ? fromUtcInput(toInput.value) : "now";
        setParams({from: fromUtcInput(fromInput.value), to: end});
        onChange();
      }}, "Apply"));
    select.addEventListener("change", () => {
      custom.hidden = select.value !== "custom";
      if (select.value !== "custom") { setParams({from: select.value, to: []}); onChange(); }
    });
    box.replaceChildren(select, custom);
  }

  // The labels of a spec's COUNT and COUNT_DISTINCT calculations (labelled as the server
  // does: the alias, else the calculation as written): an empty bucket of these is 0.
  function countLabels(spec) {
    const found = new Set();
    for (const calc of spec.calculations || []) {
      let op; let label;
      if (typeof calc === "string") {
        const match = /^\s*([A-Za-z_0-9]+)\s*(?:\([^()]*\))?\s*(?:\s[aA][sS]\s+(.+?))?\s*$/.exec(calc);
        if (!match) continue;
        op = match[1].toUpperCase();
        label = match[2] ? match[2].trim() : calc.trim();
      } else {
        op = String(calc.operation || calc.operator || "").toUpperCase();
        label = calc.alias || (calc.key ? `${op}(${calc.key})` : op);
      }
      if (op === "COUNT" || op === "COUNT_DISTINCT") found.add(label);
    }
    return found;
  }

  // `from`/`to` as the URL has them (epoch ms or relative) to a datetime-local value, in
  // UTC like every time the console shows.
  function utcInput(value) {
    const date = /^\d+$/.test(value) ? new Date(Number(value)) : value === "now" ? new Date() : null;
    if (!date || isNaN(date)) return "";
    return date.toISOString().slice(0, 16);
  }

  const fromUtcInput = (value) => String(new Date(value + "Z").getTime());

  const color = (i) => PALETTE[i % PALETTE.length];

  function number(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return value.toLocaleString("en-US", {maximumFractionDigits: Math.abs(value) < 10 ? 3 : 1});
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms === 0) return "0";
    if (ms < 1) return (ms * 1000).toFixed(0) + " µs";
    if (ms < 1000) return ms.toFixed(ms < 10 ? 2 : 0) + " ms";
    return (ms / 1000).toFixed(2) + " s";
  }

  const shortTime = (iso) => iso.replace("T", " ").slice(0, 23);
  // Epoch ms as the events show their times: UTC, labelled.
  const when = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–");

  const badge = (text, bad) => el("span", {class: "badge " + (bad ? "bad" : "good")}, text);

  // A read-only table in a panel: columns are [title, row => cell].
  const dataTable = (columns, rows) => el("div", {class: "panel"}, el("table", {},
    el("thead", {}, el("tr", {}, columns.map(([title]) => el("th", {}, title)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, columns.map(([, cell]) => el("td", {}, cell(row))))))));

  // A notification delivery as the alert and check pages show it.
  const deliveryText = (d) => `${d.ok ? "delivered" : (d.final ? "failed" : "failed, retrying")}` +
    `${d.status ? ` (${d.status})` : ""}${d.attempt > 1 ? `, attempt ${d.attempt}` : ""}${d.detail ? ": " + d.detail : ""}`;

  // Escape closes the Ask AI panel, wherever the focus is.
  document.addEventListener("keydown", (e) => {
    const panel = document.getElementById("ai-panel");
    if (e.key === "Escape" && panel) panel.hidden = true;
  });

  // Ask AI: POST /api/explain with a target and show what it found in the side panel.
  async function askAI(target) {
    const panel = document.getElementById("ai-panel");
    const close = el("button", {class: "close", type: "button", onclick: () => { panel.hidden = true; }}, "✕");
    panel.hidden = false;
    panel.replaceChildren(close, el("h2", {}, "Ask AI"), el("p", {class: "muted"}, "Analysing…"));
    close.focus();
    try {
      const answer = await api("/api/explain", {target});
      const list = (items) => el("ul", {}, (items || []).map((item) =>
        el("li", {}, typeof item === "string" ? item : JSON.stringify(item))));
      panel.replaceChildren(close, el("h2", {}, "Ask AI"),
        el("h3", {}, "Summary"), el("p", {id: "ai-summary"}, answer.summary || "–"),
        el("h3", {}, "Root cause"), el("p", {}, answer.root_cause || "Not determined."),
        el("h3", {}, "Evidence"), list(answer.evidence),
        el("h3", {}, "Actions"), list(answer.actions),
        el("p", {class: "hint"}, `Answered by ${answer.provider || "the offline explainer"}.`));
    } catch (error) {
      panel.replaceChildren(close, el("h2", {}, "Ask AI"), el("p", {class: "error"}, error.message));
    }
  }

  return {api, ApiError, hintFor, el, state, noData, params, setParams, range, timePicker, color, countLabels,
    number, duration, shortTime, when, askAI, badge, dataTable, deliveryText};
})();
