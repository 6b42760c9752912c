package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
)

// TestServeE2EFrameRecord: the demo page's connection, fetched with
// h2client (which takes pushes), asks /.h2kit/frames on that connection
// and gets its own frames: its request, the PUSH_PROMISEs on stream 1
// before stream 1's DATA (RFC 9113, Section 8.4.1), each pushed stream's
// HEADERS before its DATA, and the request for the record itself.
func TestServeE2EFrameRecord(t *testing.T) {
	p := startServe(t)
	var pc pushCounter
	c := pc.client(false)
	defer c.CloseIdleConnections()
	if res, body := fetch(t, c, "GET", p.url+"/", nil); res.StatusCode != 200 || !strings.Contains(body, "HTTP/2 at work") {
		t.Fatalf("/: %d", res.StatusCode)
	}
	// The pushed responses may still be on their way when the page's
	// own response is complete: fetch the record (again, on the same
	// connection) until every pushed stream has sent its DATA.
	var doc timelineDoc
	for try := 0; ; try++ {
		res, body := fetch(t, c, "GET", p.url+serveFramesPath, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %v\n%s", serveFramesPath, res.StatusCode, res.Header, body)
		}
		doc = timelineDoc{}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Conns) != 1 || doc.Conns[0].Role != "server" {
			t.Fatalf("record: %+v", doc.Conns)
		}
		if pushesDone(doc.Conns[0].Events) || try == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if conns, _ := pc.take(); conns != 1 {
		t.Fatalf("%d connections, want 1", conns)
	}
	var promised []uint32
	firstData := map[uint32]int{}
	headers := map[uint32]int{}
	requests := map[uint32]string{}
	for i, e := range doc.Conns[0].Events {
		switch e.Type {
		case "DATA":
			if _, ok := firstData[e.Stream]; !ok {
				firstData[e.Stream] = i
			}
		case "HEADERS":
			if _, ok := headers[e.Stream]; !ok {
				headers[e.Stream] = i
			}
			if e.Dir == "recv" {
				requests[e.Stream] = e.Label
			}
		case "PUSH_PROMISE":
			if e.Stream != 1 || e.Dir != "send" {
				t.Errorf("PUSH_PROMISE on stream %d (%s), want sent on stream 1", e.Stream, e.Dir)
			}
			if d, ok := firstData[1]; ok && d < i {
				t.Errorf("PUSH_PROMISE for stream %d after stream 1's DATA", e.Promised)
			}
			promised = append(promised, e.Promised)
		}
		if !strings.HasPrefix(e.Text, e.Dir+" "+e.Type+" frame <") {
			t.Errorf("frame text %q", e.Text)
		}
	}
	if len(promised) != len(demoPush) {
		t.Fatalf("%d promises, want %d", len(promised), len(demoPush))
	}
	for _, id := range promised {
		h, okH := headers[id]
		d, okD := firstData[id]
		if !okH || !okD || h > d {
			t.Errorf("pushed stream %d: HEADERS at %d (%v), first DATA at %d (%v)", id, h, okH, d, okD)
		}
	}
	if requests[1] != "GET /" || requests[3] != "GET "+serveFramesPath {
		t.Errorf("requests %v", requests)
	}

	// Over HTTP/1.1 there is no record.
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	res, body := fetch(t, h1, "GET", p.url+serveFramesPath, nil)
	if res.StatusCode != 404 || res.Proto != "HTTP/1.1" || !strings.Contains(body, "HTTP/1.1") {
		t.Errorf("over HTTP/1.1: %d %s %s", res.StatusCode, res.Proto, body)
	}
}

// pushesDone reports whether every stream promised in events has sent a
// DATA frame with END_STREAM.
func pushesDone(events []tlEvent) bool {
	ended := map[uint32]bool{}
	var promised []uint32
	for _, e := range events {
		switch {
		case e.Type == "PUSH_PROMISE":
			promised = append(promised, e.Promised)
		case e.Type == "DATA" && e.Dir == "send" && e.End:
			ended[e.Stream] = true
		}
	}
	for _, id := range promised {
		if !ended[id] {
			return false
		}
	}
	return len(promised) > 0
}

// A recorder keeps at most its caps, and counts what it drops.
func TestTimelineRecorderCaps(t *testing.T) {
	r := newTimelineRecorder(h2kit.Server, "x", time.Now(), 5, 1<<20)
	for i := range 12 {
		r.FrameSent(frame.Header{}, &frame.Data{StreamID: 1, Data: make([]byte, i)}, nil)
	}
	c := r.snapshot()
	if len(c.Events) != 5 || c.Dropped != 7 {
		t.Errorf("%d events, %d dropped; want 5 and 7", len(c.Events), c.Dropped)
	}
	r = newTimelineRecorder(h2kit.Server, "x", time.Now(), 1000, 300)
	for range 50 {
		r.FrameSent(frame.Header{}, &frame.WindowUpdate{StreamID: 3, Increment: 100}, nil)
	}
	if c := r.snapshot(); len(c.Events) >= 50 || c.Dropped == 0 || c.Events[0].Inc != 100 {
		t.Errorf("byte cap: %d events, %d dropped", len(c.Events), c.Dropped)
	}

	// A budget shared by two recorders: the second keeps nothing while
	// the first holds it all, and keeps again once the first is released.
	var total atomic.Int64
	a := newTimelineRecorder(h2kit.Server, "a", time.Now(), 1000, 1<<20)
	b := newTimelineRecorder(h2kit.Server, "b", time.Now(), 1000, 1<<20)
	a.shared, a.sharedMax = &total, 2000
	b.shared, b.sharedMax = &total, 2000
	ping := &frame.Ping{}
	for range 20 {
		a.FrameSent(frame.Header{}, ping, nil)
	}
	b.FrameSent(frame.Header{}, ping, nil)
	if na, nb := len(a.snapshot().Events), len(b.snapshot().Events); na == 0 || na == 20 || nb != 0 || total.Load() > 2000 {
		t.Errorf("shared budget: a kept %d, b %d, total %d", na, nb, total.Load())
	}
	a.release()
	a.FrameSent(frame.Header{}, ping, nil)
	b.FrameSent(frame.Header{}, ping, nil)
	if nb := len(b.snapshot().Events); nb != 1 || a.snapshot().Dropped == 0 {
		t.Errorf("after release: b kept %d; a dropped %d", nb, a.snapshot().Dropped)
	}
}

// TestServeE2EH1Origin: the demo's HTTP/1.1 origin is named at
// /.h2kit/h1, answers over HTTP/1.1 even to a client that offers h2, with
// CORS and the connection's number.
func TestServeE2EH1Origin(t *testing.T) {
	p := startServe(t)
	c := h2Client(false)
	defer c.CloseIdleConnections()
	res, body := fetch(t, c, "GET", p.url+serveH1Path, nil)
	var where struct{ Origin string }
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &where) != nil {
		t.Fatalf("%s: %d %s", serveH1Path, res.StatusCode, body)
	}
	if !regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`).MatchString(where.Origin) || strings.HasPrefix(p.url, where.Origin) {
		t.Fatalf("origin %q (page %s)", where.Origin, p.url)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	h1 := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range 2 {
		res, _ = fetch(t, h1, "GET", where.Origin+"/delay/1", nil)
		if res.StatusCode != 200 || res.Proto != "HTTP/1.1" || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
			res.Header.Get("Timing-Allow-Origin") != "*" || res.Header.Get("h2kit-conn") != "1" {
			t.Errorf("request %d: %d %s %v", i, res.StatusCode, res.Proto, res.Header)
		}
	}
	if !strings.Contains(p.out.String(), "HTTP/1.1 only, for the demo page's comparison: "+where.Origin+"/") {
		t.Errorf("banner lacks the origin:\n%s", p.out)
	}
	// --root serves no demo: neither route.
	r := startServe(t, "--root", t.TempDir())
	for _, path := range []string{serveH1Path, serveFramesPath} {
		if res, _ := fetch(t, c, "GET", r.url+path, nil); res.StatusCode != 404 {
			t.Errorf("--root %s: %d", path, res.StatusCode)
		}
	}
}

// TestServeE2EDemoChromium loads the demo page in headless Chromium: no
// script error, the page draws its own connection from /.h2kit/frames
// (a row per stream: the page, its assets, its fetches), and the burst
// (#burst runs it at load) goes over h2 on one connection and over
// HTTP/1.1 on six.
func TestServeE2EDemoChromium(t *testing.T) {
	chromiumBin(t)
	p := startServe(t)
	dom := renderChromium(t, p.url+"/#burst", "--ignore-certificate-errors", "--virtual-time-budget=20000")
	if !strings.Contains(dom, `<p id="page-error" class="error" hidden="">`) {
		t.Errorf("script error:\n%s", regexp.MustCompile(`<p id="page-error"[^<]*<`).FindString(dom))
	}
	m := regexp.MustCompile(`<div id="own-frames" class="timeline" data-rows="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("own connection not drawn:\n%.4000s", dom)
	}
	// The connection, the page, its scripts, stylesheet and logo, /headers
	// and /.h2kit/frames at least.
	if n, _ := strconv.Atoi(m[1]); n < 9 || strings.Count(dom, `class="tl-row"`) != n {
		t.Errorf("%s rows, %d tl-row elements", m[1], strings.Count(dom, `class="tl-row"`))
	}
	mustContain(t, "page", dom, "GET /style.css", "GET /timeline.js", "GET "+serveFramesPath)
	result := regexp.MustCompile(`<p id="burst-result" class="small">([^<]*)<`).FindStringSubmatch(dom)
	if result == nil || !strings.Contains(result[1], " over h2 (1 connection),") || !strings.Contains(result[1], " over http/1.1 (6 connections)") {
		t.Errorf("burst: %q", result)
	}
	if n := strings.Count(dom, `class="burst-bar"`); n != 2*burstRequests {
		t.Errorf("%d burst bars, want %d", n, 2*burstRequests)
	}
}

// burstRequests is the number of requests of the demo page's burst
// (BURST_N in demo/multiplex.js).
const burstRequests = 24
