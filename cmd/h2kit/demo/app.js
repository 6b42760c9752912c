// The demo page's script: shows the protocol of the page, the request's
// header fields (from /headers), and runs the multiplexing demo.
"use strict";

function text(el, s) { el.textContent = s; return el; }

function showProtocol() {
  const nav = performance.getEntriesByType("navigation")[0];
  const p = nav && nav.nextHopProtocol;
  const names = { h2: "HTTP/2 (h2, over TLS)", h2c: "HTTP/2 (h2c, cleartext)", "http/1.1": "HTTP/1.1" };
  text(document.getElementById("proto"), names[p] || p || "an unknown protocol");
}

async function showFields() {
  const table = document.getElementById("fields");
  try {
    const res = await fetch("/headers", { cache: "no-store" });
    const reply = await res.json();
    table.replaceChildren();
    for (const f of reply.headers) {
      const tr = table.insertRow();
      if (f.name.startsWith(":")) tr.className = "pseudo";
      text(tr.insertCell(), f.name);
      text(tr.insertCell(), f.value);
    }
    let about = "Protocol of the fetch: " + reply.proto + ".";
    if (reply.tls) about += " TLS: " + reply.tls.version + ", ALPN " + (reply.tls.alpn || "none") + ", " + reply.tls.cipher_suite + ".";
    if (reply.note) about += " (" + reply.note + ")";
    text(document.getElementById("tls"), about);
  } catch (e) {
    table.replaceChildren();
    text(table.insertRow().insertCell(), "could not fetch /headers: " + e);
  }
}

async function burst() {
  const n = 24, delay = 300;
  const lanes = document.getElementById("lanes");
  const result = document.getElementById("burst-result");
  lanes.replaceChildren();
  const bars = [];
  for (let i = 0; i < n; i++) {
    const lane = lanes.appendChild(document.createElement("div"));
    lane.className = "lane";
    bars.push(lane.appendChild(document.createElement("span")));
  }
  const t0 = performance.now();
  const times = await Promise.all(bars.map(async (bar, i) => {
    const start = performance.now() - t0;
    const res = await fetch("/delay/" + delay + "?n=" + i, { cache: "no-store" });
    await res.text();
    return [start, performance.now() - t0];
  }));
  const total = Math.max(...times.map(t => t[1]));
  times.forEach(([s, e], i) => {
    bars[i].style.left = (100 * s / total) + "%";
    bars[i].style.width = Math.max(1, 100 * (e - s) / total) + "%";
  });
  const entries = performance.getEntriesByType("resource").filter(e => e.name.includes("/delay/"));
  const proto = entries.length ? entries[entries.length - 1].nextHopProtocol : "?";
  text(result, n + " requests of " + delay + " ms each took " + Math.round(total) + " ms in all (protocol: " + proto + ").");
}

document.addEventListener("DOMContentLoaded", () => {
  showProtocol();
  showFields();
  document.getElementById("burst").addEventListener("click", burst);
});
