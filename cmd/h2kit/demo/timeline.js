// The timeline of HTTP/2 connections: one row per stream (and one for
// the connection itself), each frame a mark at the time it was sent or
// received. Used by `h2kit get --timeline FILE.html` (inlined in the
// page it writes) and by the demo page of `h2kit serve`, which draws
// its own connection from /.h2kit/frames. The data is a timelineDoc
// (cmd/h2kit/timeline.go): {title, date, conns: [{role, label, start,
// events: [{t, dir, type, stream, len, end, promised, inc, code, last,
// ack, window, prio, target, label, text}], dropped}]}.
//
// Marks: a request's HEADERS sent is a triangle, HEADERS received a
// box, each DATA frame a tick whose height grows with its length,
// WINDOW_UPDATE a diamond under the row, PUSH_PROMISE a "P" flag on the
// stream that carried it with a dashed line to the promised stream's
// row, PRIORITY and PRIORITY_UPDATE a "p" dot, RST_STREAM a red cross,
// GOAWAY a red line across every row. A shaded span is a flow-control
// stall: the receive window of the stream (or of the connection, on
// the connection's row) was used up until a WINDOW_UPDATE opened it.
// Pointing at a mark shows the frame as `h2kit get -v` prints it.
"use strict";

const H2kitTimeline = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const ROW = 24, LABEL = 250, PAD = 10, AXIS = 22, INITIAL_WINDOW = 65535;
  const COLORS = {
    send: "#2563eb", recv: "#059669", headers: "#7c3aed", push: "#c026d3",
    window: "#d97706", rst: "#dc2626", prio: "#ca8a04", settings: "#6b7280",
    stall: "rgba(220, 38, 38, 0.15)", life: "#e5e7eb",
  };

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // fit cuts s to at most n characters.
  function fit(s, n) { return s.length <= n ? s : s.slice(0, n - 1) + "\u2026"; }

  // niceStep is a step of 1, 2 or 5 times a power of ten giving about n
  // ticks over span.
  function niceStep(span, n) {
    const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function fmtMs(ms, step) {
    if (step >= 1000) return (ms / 1000).toFixed(step >= 10000 ? 0 : 1) + " s";
    if (step >= 1) return Math.round(ms) + " ms";
    return ms.toFixed(step >= 0.1 ? 1 : 2) + " ms";
  }

  // axis draws a time axis for [t0, t1] ms at y over [x0, x0+w] into g,
  // with grid lines down to y+h.
  function axis(g, t0, t1, x0, w, y, h) {
    const span = Math.max(t1 - t0, 0.001), step = niceStep(span, Math.max(2, Math.floor(w / 90)));
    el("line", { x1: x0, x2: x0 + w, y1: y, y2: y, stroke: "#9ca3af" }, g);
    for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
      const x = x0 + (t - t0) / span * w;
      el("line", { x1: x, x2: x, y1: y, y2: y + h, stroke: "#f3f4f6" }, g);
      el("line", { x1: x, x2: x, y1: y - 4, y2: y, stroke: "#9ca3af" }, g);
      const label = el("text", { x: x, y: y - 7, "text-anchor": "middle", "font-size": 10, fill: "#4b5563" }, g);
      label.textContent = fmtMs(t, step);
    }
  }

  // streamsOf returns the rows of a connection: the connection (0) first,
  // then the streams in the order they appear (a pushed stream at its
  // PUSH_PROMISE), each with its label, its kind and its span.
  function streamsOf(conn) {
    const rows = new Map();
    const row = (id, t) => {
      let r = rows.get(id);
      if (!r) {
        r = { id, first: t, last: t, label: id === 0 ? "connection" : "", status: "", pushed: false, prio: "" };
        rows.set(id, r);
      }
      return r;
    };
    row(0, conn.start);
    for (const e of conn.events) {
      const r = row(e.stream, e.t);
      r.last = Math.max(r.last, e.t);
      if (e.type === "PUSH_PROMISE" && e.promised) {
        const p = row(e.promised, e.t);
        p.pushed = true;
        if (e.label) p.label = e.label;
      }
      if (e.type === "PRIORITY_UPDATE" && e.target) row(e.target, e.t).prio = e.prio;
      if (e.type === "HEADERS" && e.label) {
        if (e.label.startsWith(":status")) r.status = r.status || e.label.slice(8);
        else if (!e.label.startsWith("trailers") && !r.label) r.label = e.label;
      }
      if (e.prio && e.type !== "PRIORITY_UPDATE" && e.stream !== 0) r.prio = e.prio;
    }
    return [...rows.values()];
  }

  // stalls finds the flow-control stalls of a connection: for the DATA
  // sent each way, the receiver's windows (its SETTINGS_INITIAL_WINDOW_SIZE
  // and WINDOW_UPDATEs) minus the DATA lengths (RFC 9113, Section 6.9).
  // A stall runs from the DATA frame that used a window up to the
  // WINDOW_UPDATE that opened it again (or the end of the stream).
  function stalls(conn) {
    const flows = { send: newFlow(), recv: newFlow() }, out = [];
    const end = conn.events.length ? conn.events[conn.events.length - 1].t : conn.start;
    function newFlow() { return { init: INITIAL_WINDOW, conn: INITIAL_WINDOW, credit: new Map(), used: new Map(), open: new Map() }; }
    const win = (f, id) => f.init + (f.credit.get(id) || 0) - (f.used.get(id) || 0);
    const stop = (f, id, t) => {
      const s = f.open.get(id);
      if (s) { s.to = t; out.push(s); f.open.delete(id); }
    };
    for (const e of conn.events) {
      const other = e.dir === "send" ? "recv" : "send";
      if (e.type === "SETTINGS" && !e.ack && e.window >= 0) {
        // My SETTINGS set the window of the DATA I receive.
        const f = flows[other];
        f.init = e.window;
        for (const id of [...f.open.keys()]) if (id !== 0 && win(f, id) > 0) stop(f, id, e.t);
      } else if (e.type === "WINDOW_UPDATE") {
        const f = flows[other];
        if (e.stream === 0) f.conn += e.inc;
        else f.credit.set(e.stream, (f.credit.get(e.stream) || 0) + e.inc);
        if ((e.stream === 0 ? f.conn : win(f, e.stream)) > 0) stop(f, e.stream, e.t);
      } else if (e.type === "DATA") {
        const f = flows[e.dir];
        f.used.set(e.stream, (f.used.get(e.stream) || 0) + e.len);
        f.conn -= e.len;
        if (e.end) stop(f, e.stream, e.t);
        else if (win(f, e.stream) <= 0 && !f.open.has(e.stream)) f.open.set(e.stream, { stream: e.stream, from: e.t, dir: e.dir });
        if (f.conn <= 0 && !f.open.has(0)) f.open.set(0, { stream: 0, from: e.t, dir: e.dir });
      } else if (e.type === "RST_STREAM") {
        stop(flows.send, e.stream, e.t);
        stop(flows.recv, e.stream, e.t);
      }
    }
    for (const f of Object.values(flows)) for (const id of [...f.open.keys()]) stop(f, id, end);
    return out;
  }

  // draw draws doc into container, replacing what it held, and returns
  // the number of rows drawn. detail, if given, is an element that shows
  // the frame under the pointer.
  function draw(container, doc, detail) {
    container.replaceChildren();
    let t0 = Infinity, t1 = -Infinity, maxLen = 1;
    for (const c of doc.conns) {
      t0 = Math.min(t0, c.start);
      for (const e of c.events) {
        t0 = Math.min(t0, e.t);
        t1 = Math.max(t1, e.t);
        if (e.type === "DATA") maxLen = Math.max(maxLen, e.len);
      }
    }
    if (!isFinite(t0)) t0 = 0;
    if (!(t1 > t0)) t1 = t0 + 1;
    const width = Math.max(container.clientWidth || 0, 700);
    const laneW = width - LABEL - 2 * PAD;
    const span = t1 - t0;
    const xOf = t => LABEL + PAD + (t - t0) / span * laneW;
    let rowsDrawn = 0;
    const show = text => { if (detail) detail.textContent = text; };

    doc.conns.forEach((conn, ci) => {
      const head = container.appendChild(document.createElement("div"));
      head.className = "tl-conn";
      head.textContent = "Connection " + (ci + 1) + ": " + conn.label + " (" + conn.role + " side, " +
        conn.events.length + " frames" + (conn.dropped ? ", " + conn.dropped + " more not kept" : "") + ")";
      const rows = streamsOf(conn);
      const index = new Map(rows.map((r, i) => [r.id, i]));
      const height = AXIS + rows.length * ROW + 4;
      const svg = el("svg", { width, height, viewBox: "0 0 " + width + " " + height, class: "tl-svg", role: "img" });
      container.appendChild(svg);
      const yOf = id => AXIS + index.get(id) * ROW;
      // Rows: background, label, lifetime.
      rows.forEach((r, i) => {
        const y = AXIS + i * ROW;
        const g = el("g", { class: "tl-row", "data-stream": r.id }, svg);
        el("rect", { x: 0, y, width, height: ROW, fill: i % 2 ? "#fafafa" : "#ffffff" }, g);
        let name = r.id === 0 ? "connection" : (r.pushed ? "pushed " : "") + (r.label || "stream");
        if (r.status) name += " \u2192 " + r.status;
        const full = (r.id === 0 ? "" : "stream " + r.id + ": ") + name + (r.prio ? " (priority " + r.prio + ")" : "");
        const t = el("text", { x: 6, y: y + 16, "font-size": 12, fill: "#111827" }, g);
        t.textContent = (r.id === 0 ? "" : r.id + " ") + fit(name + (r.prio ? " [" + r.prio + "]" : ""), Math.floor((LABEL - 24) / 7) - String(r.id).length);
        el("title", {}, t).textContent = full;
        if (r.id !== 0) el("line", { x1: xOf(r.first), x2: xOf(r.last), y1: y + ROW / 2, y2: y + ROW / 2, stroke: COLORS.life, "stroke-width": 6 }, g);
      });
      axis(el("g", {}, svg), t0, t1, LABEL + PAD, laneW, AXIS - 2, rows.length * ROW);
      for (const s of stalls(conn)) {
        if (!index.has(s.stream)) continue;
        const r = el("rect", { x: xOf(s.from), y: yOf(s.stream) + 1, width: Math.max(2, xOf(s.to) - xOf(s.from)), height: ROW - 2, fill: COLORS.stall, class: "tl-stall" }, svg);
        el("title", {}, r).textContent = "flow-control stall: the " + (s.stream ? "stream's" : "connection's") +
          " window was used up for " + (s.to - s.from).toFixed(1) + " ms";
      }
      for (const e of conn.events) {
        if (!index.has(e.stream)) continue;
        const x = xOf(e.t), y = yOf(e.stream), mid = y + ROW / 2;
        const g = el("g", { class: "tl-f", "data-type": e.type }, svg);
        const c = e.dir === "send" ? COLORS.send : COLORS.recv;
        switch (e.type) {
          case "DATA": {
            const h = 3 + 15 * Math.sqrt(e.len / maxLen);
            el("line", { x1: x, x2: x, y1: mid - h / 2, y2: mid + h / 2, stroke: c, "stroke-width": 2 }, g);
            break;
          }
          case "HEADERS":
          case "CONTINUATION":
            if (e.label && !e.label.startsWith(":status") && e.label !== "trailers") { // a request
              el("path", { d: `M${x - 5},${mid - 7} L${x + 5},${mid} L${x - 5},${mid + 7} Z`, fill: COLORS.headers }, g);
            } else {
              el("rect", { x: x - 3, y: mid - 7, width: 6, height: 14, fill: COLORS.headers, stroke: "#fff" }, g);
            }
            break;
          case "PUSH_PROMISE": {
            el("line", { x1: x, x2: x, y1: mid + 8, y2: mid - 9, stroke: COLORS.push, "stroke-width": 2 }, g);
            el("path", { d: `M${x},${mid - 9} L${x + 9},${mid - 6} L${x},${mid - 3} Z`, fill: COLORS.push }, g);
            if (index.has(e.promised)) {
              el("line", { x1: x, x2: x, y1: mid + 8, y2: yOf(e.promised) + ROW / 2, stroke: COLORS.push, "stroke-dasharray": "2,3" }, g);
            }
            break;
          }
          case "WINDOW_UPDATE":
            el("path", { d: `M${x},${y + ROW - 8} l4,4 l-4,4 l-4,-4 Z`, fill: COLORS.window }, g);
            break;
          case "RST_STREAM":
            el("path", { d: `M${x - 5},${mid - 5} l10,10 M${x + 5},${mid - 5} l-10,10`, stroke: COLORS.rst, "stroke-width": 2.5 }, g);
            break;
          case "GOAWAY":
            el("line", { x1: x, x2: x, y1: AXIS, y2: AXIS + rows.length * ROW, stroke: COLORS.rst, "stroke-width": 2 }, g);
            break;
          case "PRIORITY":
          case "PRIORITY_UPDATE": {
            const target = e.type === "PRIORITY_UPDATE" && index.has(e.target) ? yOf(e.target) + ROW / 2 : mid;
            el("circle", { cx: x, cy: target - 6, r: 3.5, fill: COLORS.prio }, g);
            break;
          }
          default: // SETTINGS, PING and the rest, on the connection's row
            el("rect", { x: x - 3, y: mid - 3, width: 6, height: 6, fill: e.ack ? "#d1d5db" : COLORS.settings }, g);
        }
        el("title", {}, g).textContent = "[" + e.t.toFixed(3) + " ms] " + e.text;
        g.addEventListener("mouseenter", () => show("[" + e.t.toFixed(3) + " ms] " + e.text));
      }
      rowsDrawn += rows.length;
    });
    container.dataset.rows = rowsDrawn;
    return rowsDrawn;
  }

  // legend returns an element explaining the marks.
  function legend() {
    const div = document.createElement("div");
    div.className = "tl-legend";
    const items = [
      ["path", { d: "M2,1 L12,8 L2,15 Z", fill: COLORS.headers }, "request HEADERS"],
      ["rect", { x: 4, y: 1, width: 6, height: 14, fill: COLORS.headers }, "HEADERS received"],
      ["line", { x1: 7, x2: 7, y1: 2, y2: 14, stroke: COLORS.recv, "stroke-width": 2 }, "DATA received"],
      ["line", { x1: 7, x2: 7, y1: 2, y2: 14, stroke: COLORS.send, "stroke-width": 2 }, "DATA sent"],
      ["path", { d: "M7,3 l5,5 l-5,5 l-5,-5 Z", fill: COLORS.window }, "WINDOW_UPDATE"],
      ["path", { d: "M4,2 L13,5 L4,8 Z M4,2 L4,15", fill: COLORS.push, stroke: COLORS.push }, "PUSH_PROMISE"],
      ["circle", { cx: 7, cy: 8, r: 4, fill: COLORS.prio }, "priority"],
      ["path", { d: "M2,3 l10,10 M12,3 l-10,10", stroke: COLORS.rst, "stroke-width": 2.5 }, "RST_STREAM (GOAWAY: a red line)"],
      ["rect", { x: 0, y: 1, width: 14, height: 14, fill: COLORS.stall }, "flow-control stall"],
    ];
    for (const [name, attrs, label] of items) {
      const span = div.appendChild(document.createElement("span"));
      el(name, attrs, el("svg", { width: 14, height: 16 }, span));
      span.appendChild(document.createTextNode(" " + label));
    }
    return div;
  }

  return { draw, legend, axis, stalls, streamsOf };
})();
