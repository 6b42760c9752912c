// "Multiplexing, live": the same 24 requests to /delay/300 sent at once
// over HTTP/2 (this page's origin: one connection) and over HTTP/1.1
// (a second origin that h2kit serve opens for the demo, HTTP/1.1 only,
// found at /.h2kit/h1: the browser opens at most six connections to it,
// and each carries one request at a time), drawn side by side on one
// time axis in milliseconds from the first request of each run.
"use strict";

const BURST_N = 24, BURST_DELAY = 300;

// burstOver sends the requests to base and returns, for each, when it
// started and ended (ms from the run's start) and its connection (the
// h2kit-conn field of the HTTP/1.1 origin's answers).
async function burstOver(base) {
  const t0 = performance.now(), tag = Date.now();
  const runs = await Promise.all([...Array(BURST_N)].map(async (_, i) => {
    const url = base + "/delay/" + BURST_DELAY + "?n=" + i + "&run=" + tag;
    const start = performance.now() - t0;
    const res = await fetch(url, { cache: "no-store" });
    await res.text();
    return { url, start, end: performance.now() - t0, conn: res.headers.get("h2kit-conn") };
  }));
  const e = performance.getEntriesByName(new URL(runs[0].url, location.href).href)[0];
  return { runs, proto: (e && e.nextHopProtocol) || "?" };
}

// drawBurst draws one run into svg at x0, w wide, on the scale of total ms.
function drawBurst(svg, x0, w, total, title, run) {
  const NS = "http://www.w3.org/2000/svg", LANE = 9, TOP = 40;
  const add = (name, attrs) => {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return svg.appendChild(e);
  };
  const conns = [...new Set(run.runs.map(r => r.conn || "1"))];
  const palette = ["#2f6fdf", "#d9822b", "#059669", "#c026d3", "#dc2626", "#6b7280"];
  add("text", { x: x0, y: 12, "font-size": 13, "font-weight": 600 }).textContent =
    title + " (" + run.proto + ", " + conns.length + (conns.length > 1 ? " connections)" : " connection)");
  const g = add("g", {});
  H2kitTimeline.axis(g, 0, total, x0, w, TOP - 6, BURST_N * LANE + 4);
  run.runs.forEach((r, i) => {
    const rect = add("rect", {
      x: x0 + r.start / total * w, y: TOP + i * LANE, height: LANE - 3, rx: 2,
      width: Math.max(1, (r.end - r.start) / total * w),
      fill: palette[conns.indexOf(r.conn || "1") % palette.length], class: "burst-bar",
    });
    rect.appendChild(document.createElementNS(NS, "title")).textContent =
      "request " + (i + 1) + ": " + Math.round(r.start) + " to " + Math.round(r.end) + " ms" + (r.conn ? ", connection " + r.conn : "");
  });
  const end = Math.max(...run.runs.map(r => r.end));
  add("text", { x: x0, y: TOP + BURST_N * LANE + 16, "font-size": 12 }).textContent =
    "all done after " + Math.round(end) + " ms";
  return end;
}

async function burst() {
  const out = document.getElementById("lanes"), result = document.getElementById("burst-result");
  const button = document.getElementById("burst");
  button.disabled = true;
  result.textContent = "sending\u2026";
  try {
    const h2 = await burstOver("");
    let h1 = null, h1err = "";
    try {
      const where = await (await fetch("/.h2kit/h1", { cache: "no-store" })).json();
      if (where.origin) {
        try {
          h1 = await burstOver(where.origin);
        } catch (e) {
          h1err = "the HTTP/1.1 origin " + where.origin + " did not answer (" + e + "); open it once to accept its certificate, then try again";
        }
      }
    } catch (e) {
      h1err = "no HTTP/1.1 origin: " + e;
    }
    const runs = [["this page's origin", h2]];
    if (h1) runs.push(["the HTTP/1.1-only origin", h1]);
    const total = Math.max(...runs.map(([, r]) => Math.max(...r.runs.map(x => x.end))));
    const width = Math.max(out.clientWidth || 0, 600), gap = 24, colW = (width - gap * (runs.length - 1)) / runs.length;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", 40 + BURST_N * 9 + 24);
    out.replaceChildren(svg);
    const ends = runs.map(([title, r], i) => drawBurst(svg, i * (colW + gap), colW - 8, total, title, r));
    const conns = r => {
      const n = new Set(r.runs.map(x => x.conn)).size;
      return n + (n === 1 ? " connection" : " connections");
    };
    let s = BURST_N + " requests of " + BURST_DELAY + " ms: " + Math.round(ends[0]) + " ms over " + h2.proto + " (" + conns(h2) + ")";
    if (h1) s += ", " + Math.round(ends[1]) + " ms over " + h1.proto + " (" + conns(h1) + ")";
    result.textContent = s + "." + (h1err ? " " + h1err + "." : "");
    out.dataset.done = runs.length;
  } catch (e) {
    result.textContent = "the burst failed: " + e;
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("burst").addEventListener("click", burst);
  if (location.hash === "#burst") window.addEventListener("load", () => setTimeout(burst, 100));
});
