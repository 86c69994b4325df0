// A trace as a waterfall: spans in tree order with service colours and duration bars,
// errors marked, the trace's logs under their span at their moment, a minimap above,
// and a span's attributes, events and links on click.
"use strict";

(() => {
  const {el} = LL;
  const box = document.getElementById("trace");
  const traceId = box.dataset.traceId;
  const HIDDEN = new Set(["children", "events", "links"]);

  // Epoch milliseconds with the sub-millisecond digits of an ISO time with nanoseconds.
  function ms(iso) {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso || "");
    if (!m) return Date.parse(iso);
    return Date.parse(m[1] + "Z") + Number((m[2] || "").padEnd(9, "0")) / 1e6;
  }

  // Spans depth first, each followed by its logs, then its children.
  function flatten(spans, logsBySpan, depth = 0, out = []) {
    for (const span of spans) {
      out.push({span, depth});
      for (const log of logsBySpan.get(span.$span_id) || []) out.push({log, depth: depth + 1});
      flatten(span.children, logsBySpan, depth + 1, out);
    }
    return out;
  }

  function attributes(event) {
    return el("table", {class: "attrs"}, el("tbody", {}, Object.entries(event)
      .filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => el("tr", {}, el("td", {class: "muted"}, k), el("td", {class: "mono"},
        typeof v === "string" ? v : JSON.stringify(v))))));
  }

  function detail(span) {
    const panel = document.getElementById("span-detail");
    panel.replaceChildren(...[
      el("h2", {}, `${span.$service || ""} · ${span.$name || span.$span_id}`),
      el("p", {class: "muted"}, `${LL.duration(span.$duration_ms)} · status ${span.$status || "unset"}`),
      attributes(span),
      span.events.length ? el("h2", {}, `Span events (${span.events.length})`) : null,
      span.events.map((e) => el("div", {class: "span-event"}, el("strong", {}, e.$name || e.$message || "event"),
        attributes(e))),
      span.links.length ? el("h2", {}, `Links (${span.links.length})`) : null,
      span.links.map((l) => el("div", {}, l.$linked_trace_id
        ? el("a", {href: "/traces/" + l.$linked_trace_id}, l.$linked_trace_id) : attributes(l))),
    ].flat().filter(Boolean));
    panel.hidden = false;
  }

  function render(trace) {
    const logsBySpan = new Map();
    const orphans = [];
    const spanIds = new Set();
    const walk = (spans) => spans.forEach((s) => { spanIds.add(s.$span_id); walk(s.children); });
    walk(trace.spans);
    for (const log of trace.logs) {
      if (spanIds.has(log.$span_id)) {
        if (!logsBySpan.has(log.$span_id)) logsBySpan.set(log.$span_id, []);
        logsBySpan.get(log.$span_id).push(log);
      } else orphans.push(log);
    }
    const rows = [...flatten(trace.spans, logsBySpan), ...orphans.map((log) => ({log, depth: 0}))];
    const start = ms(trace.start);
    const total = Math.max(trace.duration_ms || 0, 0.001);
    const pct = (t) => Math.min(99.7, Math.max(0, ((t - start) / total) * 100));
    const colors = new Map(trace.services.map((s, i) => [s, LL.color(i)]));

    const minimap = el("div", {class: "minimap", "aria-hidden": "true"});
    const lane = 38 / Math.max(trace.span_count, 1);
    const waterfall = el("div", {class: "waterfall"});
    let selected = null;
    let spanIndex = 0;
    for (const {span, log, depth} of rows) {
      const indent = {paddingLeft: 8 + depth * 14 + "px"};
      if (span) {
        const at = ms(span.$timestamp);
        const left = pct(at);
        const width = Math.max(0.15, pct(at + (span.$duration_ms || 0)) - left);
        const color = colors.get(span.$service) || LL.color(0);
        minimap.append(el("i", {style: {left: left + "%", width: width + "%", top: 1 + spanIndex++ * lane + "px",
          background: color}}));
        const row = el("div", {class: "wf-row" + (span.$error ? " error" : ""), role: "button", tabindex: "0",
          "data-span-id": span.$span_id},
        el("div", {class: "wf-name", style: indent, title: span.$name},
          el("span", {class: "swatch", style: {background: color}}),
          el("span", {class: "svc"}, span.$service || "?"), " ", span.$name || ""),
        el("div", {class: "wf-bar"}, el("i", {style: {left: left + "%", width: width + "%", background: color}}),
          el("span", {style: {left: `min(${left + width}%, calc(100% - 60px))`, marginLeft: "4px"}},
            LL.duration(span.$duration_ms))));
        const choose = () => {
          if (selected) selected.classList.remove("selected");
          selected = row;
          row.classList.add("selected");
          detail(span);
        };
        row.addEventListener("click", choose);
        row.addEventListener("keydown", (e) => { if (e.key === "Enter") choose(); });
        waterfall.append(row);
      } else {
        const level = log.$level || "info";
        const line = String(log.$message ?? JSON.stringify(log));
        waterfall.append(el("div", {class: "wf-log lvl-" + level,
          title: `${LL.shortTime(log.$timestamp || "")} UTC  ${line}`},
          el("div", {class: "wf-name", style: indent}, `▸ ${level} `, line),
          el("div", {class: "wf-bar"}, el("i", {class: "tick", style: {left: pct(ms(log.$timestamp)) + "%"}}))));
      }
    }
    const legend = trace.services.map((s) => el("span", {}, el("span", {class: "swatch", style: {background: colors.get(s)}}), s));
    const ruler = el("div", {class: "wf-ruler", "aria-hidden": "true"}, el("div", {class: "wf-name"}, "span"),
      el("div", {class: "wf-bar"}, [0, 25, 50, 75].map((p) =>
        el("span", {style: {left: p + "%"}}, LL.duration((total * p) / 100)))));
    waterfall.prepend(ruler);
    box.replaceChildren(
      el("div", {class: "summary"}, el("span", {}, `${trace.span_count} spans`),
        el("span", {}, `${trace.logs.length} logs`), el("span", {}, LL.duration(trace.duration_ms)),
        el("span", {class: trace.errors ? "error" : ""}, `${trace.errors} errors`),
        el("span", {}, LL.shortTime(trace.start || "")), ...legend),
      minimap, el("div", {class: "trace-body"}, waterfall,
        el("div", {id: "span-detail", class: "detail", hidden: true})));
  }

  async function load() {
    LL.state(box, "loading", "Loading the trace…");
    try {
      render(await LL.api("/api/traces/" + traceId));
    } catch (error) {
      LL.state(box, "error", error.message,
        "Traces appear a few seconds after their spans are sent; reload, or check the id.");
    }
  }

  document.getElementById("ask-ai").addEventListener("click", () => LL.askAI({kind: "trace", trace_id: traceId}));
  load();
})();
