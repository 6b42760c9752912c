// The demo page's own connection: once the page has loaded, fetch
// /.h2kit/frames on the same connection (the server answers with the
// frames it recorded for it) and draw them with timeline.js, as
// `h2kit get --timeline` does.
"use strict";

async function drawOwnConnection() {
  const box = document.getElementById("own-frames");
  const note = document.getElementById("own-frames-note");
  const detail = document.getElementById("own-frames-detail");
  try {
    const res = await fetch("/.h2kit/frames", { cache: "no-store" });
    const doc = await res.json();
    if (!res.ok) {
      box.replaceChildren();
      note.textContent = doc.error || ("/.h2kit/frames: " + res.status);
      box.dataset.rows = 0;
      return;
    }
    const n = H2kitTimeline.draw(box, doc, detail);
    const events = doc.conns[0].events;
    const pushes = events.filter(e => e.type === "PUSH_PROMISE").length;
    note.textContent = n - 1 + " streams and " + events.length + " frames on this connection so far" +
      (pushes ? ", " + pushes + " pushed responses" : " (this browser refused server push: SETTINGS_ENABLE_PUSH=0)") + ".";
  } catch (e) {
    note.textContent = "could not fetch /.h2kit/frames: " + e;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const legend = document.getElementById("own-frames-legend");
  if (legend) legend.appendChild(H2kitTimeline.legend());
  document.getElementById("own-frames-redraw").addEventListener("click", drawOwnConnection);
  // After the load event the page's own requests are done; the record
  // then holds them all.
  if (document.readyState === "complete") drawOwnConnection();
  else window.addEventListener("load", () => setTimeout(drawOwnConnection, 50));
});
