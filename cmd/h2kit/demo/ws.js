// The demo page's WebSocket section: opens a WebSocket to /ws, sends what
// is typed and shows the echoes, and the first message of the server,
// which names the protocol that carries the WebSocket: over HTTP/2 it is
// an extended CONNECT stream on this page's connection (RFC 8441), over
// HTTP/1.1 a connection of its own (Upgrade: websocket).
//
// With #ws-selftest in the page's URL it runs by itself: it sends one
// message, and writes the outcome into #ws-result's data-ws attribute
// ("ok" once the echo came back) and the carrier into data-carrier, for
// the headless browser test (cmd/h2kit/ws_chromium_test.go).
"use strict";

(function () {
  const log = document.getElementById("ws-log");
  const result = document.getElementById("ws-result");
  const input = document.getElementById("ws-text");
  const form = document.getElementById("ws-form");
  let ws = null;
  let carrier = "";
  let expect = null; // the self-test's message, until its echo arrives

  function line(kind, s) {
    const li = log.appendChild(document.createElement("li"));
    li.className = "ws-" + kind;
    li.textContent = s;
    log.scrollTop = log.scrollHeight;
  }

  function report(state, detail) {
    result.dataset.ws = state;
    result.textContent = detail;
  }

  function open(onOpen) {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    ws = new WebSocket(url);
    line("info", "opening " + url);
    ws.addEventListener("open", () => { line("info", "open"); if (onOpen) onOpen(); });
    ws.addEventListener("message", (ev) => {
      if (!carrier) {
        // The server's first message names the carrier.
        carrier = String(ev.data);
        result.dataset.carrier = carrier;
        line("carrier", "carried by " + carrier);
        report("open", "Open, carried by " + carrier + ".");
        return;
      }
      line("in", "\u2190 " + ev.data);
      if (expect !== null && ev.data === expect) {
        expect = null;
        report("ok", "The echo came back, carried by " + carrier + ".");
      }
    });
    ws.addEventListener("close", (ev) => {
      line("info", "closed: " + ev.code + (ev.reason ? " " + ev.reason : ""));
      if (result.dataset.ws !== "ok") report("closed", "Closed (" + ev.code + ") before an echo came back.");
      ws = null;
      carrier = "";
    });
    ws.addEventListener("error", () => line("info", "error (see the browser's console)"));
  }

  function send(msg) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      open(() => send(msg));
      return;
    }
    line("out", "\u2192 " + msg);
    ws.send(msg);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const msg = input.value;
    if (msg === "") return;
    input.value = "";
    send(msg);
  });

  // holdLoad keeps the page's load event from firing until the self-test
  // is over (for at most 10 s): a headless browser's --dump-dom waits for
  // that event. Each image on /delay/100 delays it, and the next one is
  // added before the previous one's load ends.
  function holdLoad(n) {
    const state = result.dataset.ws;
    if (state === "ok" || state === "closed" || n >= 100) return;
    const img = document.body.appendChild(document.createElement("img"));
    img.hidden = true;
    img.alt = "";
    img.onload = img.onerror = () => { img.remove(); holdLoad(n + 1); };
    img.src = "/delay/100?ws-selftest=" + n;
  }

  if (location.hash === "#ws-selftest") {
    expect = "hello over " + location.protocol.replace(":", "") + " " + Date.now();
    report("waiting", "Self-test: waiting for the echo.");
    send(expect);
    holdLoad(0);
  }
})();
