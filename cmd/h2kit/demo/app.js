// The demo page's script: shows the protocol of the page, the request's
// header fields (from /headers). The multiplexing demo is in
// multiplex.js, the drawing of the page's own connection in
// connection.js.
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

document.addEventListener("DOMContentLoaded", () => {
  showProtocol();
  showFields();
});
