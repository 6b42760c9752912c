package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// timelineOf extracts the data of a --timeline page.
func timelineOf(t *testing.T, page []byte) *timelineDoc {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="tl-data">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no timeline data in the page:\n%.2000s", page)
	}
	var doc timelineDoc
	if err := json.Unmarshal(m[1], &doc); err != nil {
		t.Fatalf("timeline data: %v", err)
	}
	return &doc
}

// renderChromium loads a page in headless Chromium and returns the DOM
// after its scripts ran (skips without chromium unless
// H2KIT_REQUIRE_PEERS=1).
func renderChromium(t *testing.T, url string, extra ...string) string {
	t.Helper()
	bin := chromiumBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--dump-dom"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String()
}

// chromiumBin returns the path of Chromium, or skips the test (fails
// with H2KIT_REQUIRE_PEERS=1).
func chromiumBin(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return testpeer.Path(t, "chromium")
}

// The --timeline page holds every frame of the run, with the -v text of
// each, pushes on the stream that carried them and before its DATA.
func TestGetE2ETimeline(t *testing.T) {
	srv := startServe(t, "--h2c")
	file := filepath.Join(t.TempDir(), "tl.html")
	code, _, errs := getCmd(t, "-n", "-v", "-w", "13", "--timeline", file,
		srv.url+"/", srv.url+"/bytes/100000", srv.url+"/status/404")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := timelineOf(t, page)
	if len(doc.Conns) != 1 {
		t.Fatalf("%d connections, want 1", len(doc.Conns))
	}
	c := doc.Conns[0]
	if c.Role != "client" || !strings.HasPrefix(c.Label, "http://127.0.0.1:") {
		t.Errorf("connection %q %q", c.Role, c.Label)
	}
	var dataBytes, windowUpdates, promises int
	requests := map[uint32]string{}
	firstData := map[uint32]int{}
	for i, e := range c.Events {
		// The same text as -v: the first line of each frame is in the trace.
		line := strings.SplitN(e.Text, "\n", 2)[0]
		if !strings.Contains(errs, "] "+line+"\n") {
			t.Errorf("frame %q is not in the -v trace", line)
		}
		switch e.Type {
		case "DATA":
			if e.Stream == 3 {
				dataBytes += int(e.Len)
			}
			if _, ok := firstData[e.Stream]; !ok {
				firstData[e.Stream] = i
			}
		case "WINDOW_UPDATE":
			if e.Dir == "send" {
				windowUpdates++
			}
		case "HEADERS":
			if e.Dir == "send" {
				requests[e.Stream] = e.Label
			}
		case "PUSH_PROMISE":
			promises++
			if e.Stream != 1 || e.Promised%2 != 0 || e.Label == "" {
				t.Errorf("PUSH_PROMISE on stream %d promising %d (%q)", e.Stream, e.Promised, e.Label)
			}
			if d, ok := firstData[1]; ok && d < i {
				t.Errorf("PUSH_PROMISE after stream 1's DATA (RFC 9113, Section 8.4.1)")
			}
		}
	}
	if requests[1] != "GET /" || requests[3] != "GET /bytes/100000" || requests[5] != "GET /status/404" {
		t.Errorf("requests %v", requests)
	}
	if dataBytes != 100000 {
		t.Errorf("stream 3 DATA: %d bytes, want 100000", dataBytes)
	}
	if windowUpdates == 0 || promises != 3 {
		t.Errorf("%d WINDOW_UPDATE sent, %d PUSH_PROMISE; want some and 3", windowUpdates, promises)
	}
}

// The page draws in a browser: no script error, a row per stream and
// one for the connection, a flow-control stall with a 8 KiB window.
func TestGetE2ETimelineChromium(t *testing.T) {
	chromiumBin(t)
	srv := startServe(t, "--h2c")
	file := filepath.Join(t.TempDir(), "tl.html")
	code, _, errs := getCmd(t, "-n", "-w", "13", "--timeline", file,
		srv.url+"/", srv.url+"/bytes/100000", srv.url+"/headers")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	page, _ := os.ReadFile(file)
	streams := map[uint32]bool{0: true}
	for _, e := range timelineOf(t, page).Conns[0].Events {
		streams[e.Stream] = true
		if e.Promised != 0 {
			streams[e.Promised] = true
		}
	}
	if len(streams) != 7 { // the connection, 3 requests, 3 pushes
		t.Errorf("%d rows expected, want 7", len(streams))
	}
	dom := renderChromium(t, "file://"+file)
	status := regexp.MustCompile(`id="tl-status" class="([a-z]*)">([^<]*)<`).FindStringSubmatch(dom)
	if status == nil {
		t.Fatalf("no status in the DOM:\n%.3000s", dom)
	}
	if status[1] != "done" || status[2] != "drew "+strconv.Itoa(len(streams))+" rows" {
		t.Errorf("status %q %q", status[1], status[2])
	}
	if n := strings.Count(dom, `class="tl-row"`); n != len(streams) {
		t.Errorf("%d rows in the DOM, want %d", n, len(streams))
	}
	if !strings.Contains(dom, `class="tl-stall"`) {
		t.Errorf("no flow-control stall drawn with an 8 KiB stream window")
	}
	if n := strings.Count(dom, `data-type="PUSH_PROMISE"`); n != 3 {
		t.Errorf("%d PUSH_PROMISE marks, want 3", n)
	}
}

// The page draws RST_STREAM, GOAWAY and priorities: a request given up
// (-t: RST_STREAM CANCEL), the GOAWAY at the end, the RFC 9218 priority
// of --extpri in the rows' labels and --extpri-update's PRIORITY_UPDATE.
func TestGetE2ETimelineResetAndPriority(t *testing.T) {
	chromiumBin(t)
	srv := startServe(t, "--h2c")
	file := filepath.Join(t.TempDir(), "tl.html")
	code, _, errs := getCmd(t, "-n", "-w", "14", "-t", "1", "--extpri", "u=1", "--extpri-update", "u=6",
		"--timeline", file, srv.url+"/bytes/300000", srv.url+"/delay/5000")
	if code != 1 || !strings.Contains(errs, "/delay/5000: timed out") {
		t.Fatalf("exit %d, want 1 (a timeout)\n%s", code, errs)
	}
	dom := renderChromium(t, "file://"+file)
	if !strings.Contains(dom, `id="tl-status" class="done">drew 3 rows<`) {
		t.Errorf("status: %s", regexp.MustCompile(`id="tl-status"[^<]*<`).FindString(dom))
	}
	for _, typ := range []string{"RST_STREAM", "GOAWAY", "PRIORITY_UPDATE", "WINDOW_UPDATE", "HEADERS", "DATA", "SETTINGS"} {
		if !strings.Contains(dom, `data-type="`+typ+`"`) {
			t.Errorf("no %s mark", typ)
		}
	}
	// The two requests go out concurrently: either may be stream 1.
	for _, row := range []string{`>\d+ GET /bytes/300000 → 200 \[u=6\]<`, `>\d+ GET /delay/5000 \[u=1\]<`} {
		if !regexp.MustCompile(row).MatchString(dom) {
			t.Errorf("no row matching %s in the DOM", row)
		}
	}
}

// A header value cannot end the page's script elements.
func TestTimelinePageEscapes(t *testing.T) {
	doc := newTimelineDoc("</title><script>x()</script>", time.Now())
	doc.Conns = []*tlConn{{Role: "client", Label: "h", Events: []tlEvent{{Type: "HEADERS", Label: "GET /</script><script>alert(1)</script>", Text: "send </script>"}}}}
	var b bytes.Buffer
	if err := writeTimelinePage(&b, doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>alert") || strings.Contains(b.String(), "<script>x()") {
		t.Errorf("unescaped markup in the page:\n%s", b.String())
	}
	if got := timelineOf(t, b.Bytes()); got.Conns[0].Events[0].Label != doc.Conns[0].Events[0].Label {
		t.Errorf("label %q after the round trip", got.Conns[0].Events[0].Label)
	}
}
