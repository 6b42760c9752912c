package main

// This file writes the page of `h2kit get --timeline FILE.html`: one
// self-contained HTML file (the style, demo/timeline.js and the data
// inline; nothing fetched), which draws the connections of the run. A
// script error is written into the page (#tl-status gets class "error"
// and the message), so that a test rendering the page in a headless
// browser can tell a page that drew from one that failed.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"
)

// Caps of --timeline: a run keeps at most this many frames and bytes of
// their summaries per connection.
const (
	getTimelineMaxEvents = 100000
	getTimelineMaxBytes  = 32 << 20
)

// timelinePage is the page's template. The JSON goes in a script element
// of type application/json: encoding/json escapes <, > and &, so it
// cannot end the element.
var timelinePage = template.Must(template.New("timeline").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #111827; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
.tl-conn { font-weight: 600; margin: 1em 0 .2em; }
.tl-svg { display: block; font-family: ui-monospace, monospace; }
.tl-f { cursor: default; }
.tl-legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; font-size: 12px; margin: .5em 0; }
.tl-legend svg { vertical-align: middle; }
#tl-detail { background: #f3f4f6; padding: .5em; min-height: 6em; white-space: pre-wrap; font-size: 12px; }
#tl-status.error { color: #b91c1c; font-weight: 600; }
.small { color: #4b5563; font-size: 12px; }
</style>
<script>
window.onerror = function (msg, src, line, col) {
  var s = document.getElementById("tl-status");
  if (s) { s.className = "error"; s.textContent = "script error: " + msg + " (line " + line + ":" + col + ")"; }
};
</script>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="small">Recorded by h2kit get at {{.Date}}. Time runs left to right from the start of the run;
each row is a stream (the first, the connection). Point at a frame to see it as <code>h2kit get -v</code> prints it.</p>
<div id="tl-legend"></div>
<div id="tl"></div>
<pre id="tl-detail">(point at a frame)</pre>
<p id="tl-status" class="small">drawing&hellip;</p>
<script type="application/json" id="tl-data">{{.Data}}</script>
<script>{{.Script}}</script>
<script>
(function () {
  var doc = JSON.parse(document.getElementById("tl-data").textContent);
  document.getElementById("tl-legend").appendChild(H2kitTimeline.legend());
  var n = H2kitTimeline.draw(document.getElementById("tl"), doc, document.getElementById("tl-detail"));
  var s = document.getElementById("tl-status");
  if (s.className !== "error") { s.className = "done"; s.textContent = "drew " + n + " rows"; }
})();
</script>
</body>
</html>
`))

// writeTimelinePage writes the page of doc to w.
func writeTimelinePage(w io.Writer, doc *timelineDoc) error {
	script, err := demoFiles.ReadFile("demo/timeline.js")
	if err != nil {
		return err
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = timelinePage.Execute(&b, struct {
		Title, Date  string
		Data, Script template.JS
	}{doc.Title, doc.Date, template.JS(data), template.JS(script)})
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// newTimelineDoc starts the record of a run.
func newTimelineDoc(title string, start time.Time) *timelineDoc {
	return &timelineDoc{Title: title, Date: start.UTC().Format(time.RFC3339)}
}

// timelineTitle names a get run by its URLs.
func timelineTitle(urls []string) string {
	switch len(urls) {
	case 0:
		return "h2kit get"
	case 1:
		return "h2kit get " + urls[0]
	}
	return fmt.Sprintf("h2kit get %s and %d more", urls[0], len(urls)-1)
}
