package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// TestGetWeightFlags: -p takes 1 to 256, once per URL at most, the last
// one standing for the URLs after it; --dep-idle puts the URLs under the
// followers anchor and the assets under theirs by kind; neither applies
// to --ws.
func TestGetWeightFlags(t *testing.T) {
	o, err := parseGetArgs([]string{"-p", "100", "--weight=7", "http://a/1", "http://a/2", "http://a/3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []h2client.StreamPriority{{Weight: 100}, {Weight: 7}, {Weight: 7}} {
		if got := o.urlPriority(i); got == nil || *got != want {
			t.Errorf("URL %d: %+v, want %+v", i, got, want)
		}
	}
	if o.anchors() != nil || o.assetPriority(assetImage) != nil {
		t.Error("without --dep-idle: anchors or asset priorities")
	}
	// Grouped with a short option, as nghttp takes it.
	if o, err := parseGetArgs([]string{"-np256", "http://a/"}, nil); err != nil || !o.nullOut || !slices.Equal(o.weights, []int{256}) {
		t.Errorf("-np256: %+v %v", o, err)
	}
	o, err = parseGetArgs([]string{"--dep-idle", "-a", "http://a/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got, want *h2client.StreamPriority
	}{
		{o.urlPriority(0), &h2client.StreamPriority{Weight: 16, Anchor: anchorFollowers}},
		{o.assetPriority(assetStylesheet), &h2client.StreamPriority{Weight: 32, Anchor: anchorLeaders}},
		{o.assetPriority(assetScript), &h2client.StreamPriority{Weight: 32, Anchor: anchorLeaders}},
		{o.assetPriority(assetImage), &h2client.StreamPriority{Weight: 12, Anchor: anchorFollowers}},
	} {
		if c.got == nil || *c.got != *c.want {
			t.Errorf("%+v, want %+v", c.got, c.want)
		}
	}
	if len(o.anchors()) != 5 {
		t.Errorf("anchors %+v", o.anchors())
	}
	if o, _ := parseGetArgs([]string{"http://a/"}, nil); o.urlPriority(0) != nil {
		t.Error("a priority without -p or --dep-idle")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "0", "http://a/"}, `weight "0": want 1 to 256`},
		{[]string{"-p", "257", "http://a/"}, `weight "257": want 1 to 256`},
		{[]string{"-p", "x", "http://a/"}, `weight "x": want 1 to 256`},
		{[]string{"-p", "1", "-p", "2", "http://a/"}, "-p given 2 times for 1 URL"},
		{[]string{"--ws", "-p", "3", "http://a/"}, "--ws: -p and --dep-idle do not apply"},
		{[]string{"--ws", "--dep-idle", "http://a/"}, "--ws: -p and --dep-idle do not apply"},
	} {
		if _, err := parseGetArgs(c.args, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestHTMLAssetKinds: each asset of -a has its kind, the one of its
// first reference.
func TestHTMLAssetKinds(t *testing.T) {
	base, _ := url.Parse("http://example.org/page.html")
	page := `<link rel="preload stylesheet" href="/a.css"><script src="/b.js"></script><img src="/c.png"><img src="/b.js">`
	var got []string
	for _, a := range htmlAssetList([]byte(page), base) {
		got = append(got, fmt.Sprintf("%s=%d", a.url.Path, a.kind))
	}
	want := []string{
		fmt.Sprintf("/a.css=%d", assetStylesheet),
		fmt.Sprintf("/b.js=%d", assetScript),
		fmt.Sprintf("/c.png=%d", assetImage),
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestGetPriority7540Documented: -p, --weight and --dep-idle are in the
// README, next to --extpri (TestGetFlagsDocumented checks -h).
func TestGetPriority7540Documented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"-p", "--weight", "--dep-idle"} {
		if !regexp.MustCompile("[`\\[|] ?" + regexp.QuoteMeta(name) + "[` \\]=]").Match(readme) {
			t.Errorf("README lacks get's %s", name)
		}
	}
	for _, s := range []string{"leaders (weight 201)", "followers (1, under leaders)", "images on followers (weight 12)"} {
		if !strings.Contains(getUsage, s) {
			t.Errorf("get -h lacks %q", s)
		}
	}
}

// prioRecorder records the RFC 7540 signals a server receives, in the
// form prioLines gives a -v trace's.
type prioRecorder struct {
	mu  sync.Mutex
	got []string
}

func (r *prioRecorder) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch f := f.(type) {
	case *frame.Priority:
		r.got = append(r.got, fmt.Sprintf("PRIORITY %d dep=%d w=%d e=%v", f.StreamID, f.StreamDep, int(f.Weight)+1, f.Exclusive))
	case *frame.Headers:
		s := fmt.Sprintf("HEADERS %d", f.StreamID)
		if f.HasPriority {
			s += fmt.Sprintf(" dep=%d w=%d e=%v", f.Priority.StreamDep, int(f.Priority.Weight)+1, f.Priority.Exclusive)
		}
		r.got = append(r.got, s)
	}
}

func (r *prioRecorder) FrameSent(frame.Header, frame.Frame, []hpack.Field) {}

// prioLines lists the PRIORITY and HEADERS frames a `-v` trace (or
// nghttpd -v log) shows with direction dir ("send", "recv"), as
// prioRecorder does.
func prioLines(trace, dir string) []string {
	re := regexp.MustCompile(dir + ` (PRIORITY|HEADERS) frame <[^>]*stream_id=(\d+)>\n(?: {10}; .*\n)?(?: {10}\((?:padlen=\d+, )?dep_stream_id=(\d+), weight=(\d+), exclusive=(\d)\))?`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(trace, -1) {
		s := m[1] + " " + m[2]
		if m[3] != "" {
			s += fmt.Sprintf(" dep=%s w=%s e=%v", m[3], m[4], m[5] == "1")
		}
		out = append(out, s)
	}
	return out
}

// depIdleSite writes a page with a stylesheet, a script and an image.
func depIdleSite(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"page.html": `<html><head><link rel="stylesheet" href="/a.css"><script src="/b.js"></script></head><body><img src="/c.png"></body></html>`,
		"a.css":     "body{}", "b.js": "1;", "c.png": "png", "d.txt": "d",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGetE2EDepIdle: get -nv --dep-idle -a against h2server: the server
// receives the five anchors first, then the page under followers and its
// assets under their anchors; -v shows these frames exactly as the
// server received them. -p alone sends the weights under the root, and
// -u puts the anchors after the upgraded stream 1.
func TestGetE2EDepIdle(t *testing.T) {
	h2kitBinary(t) // skip with -short
	dir := depIdleSite(t)
	var mu sync.Mutex
	var recs []*prioRecorder
	srv := &h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer {
		r := &prioRecorder{}
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
		return r
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.ServeH2C(l, hs)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	base := "http://" + l.Addr().String()
	last := func() []string {
		mu.Lock()
		defer mu.Unlock()
		if len(recs) != 1 {
			t.Fatalf("%d connections, want 1", len(recs))
		}
		r := recs[0]
		recs = nil
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.got
	}

	code, _, trace := getCmd(t, "-nv", "--dep-idle", "-a", base+"/page.html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, trace)
	}
	got := last()
	want := []string{
		"PRIORITY 1 dep=0 w=201 e=false", // leaders
		"PRIORITY 3 dep=0 w=101 e=false", // unblocked
		"PRIORITY 5 dep=0 w=1 e=false",   // background
		"PRIORITY 7 dep=5 w=1 e=false",   // speculative
		"PRIORITY 9 dep=1 w=1 e=false",   // followers
		"HEADERS 11 dep=9 w=16 e=false",  // the page
	}
	if len(got) != 9 || !slices.Equal(got[:6], want) {
		t.Fatalf("server received:\n%s\nwant first:\n%s\nand three assets", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	paths := sentStreams(trace)
	for _, s := range got[6:] {
		var id int
		fmt.Sscanf(s, "HEADERS %d", &id)
		wantPrio := map[string]string{"/a.css": "dep=1 w=32", "/b.js": "dep=1 w=32", "/c.png": "dep=9 w=12"}[paths[id]]
		if wantPrio == "" || !strings.Contains(s, wantPrio+" e=false") {
			t.Errorf("%s (%s), want %s", s, paths[id], wantPrio)
		}
	}
	if shown := prioLines(trace, "send"); !slices.Equal(shown, got) {
		t.Errorf("-v shows:\n%s\nthe server received:\n%s", strings.Join(shown, "\n"), strings.Join(got, "\n"))
	}

	code, _, trace = getCmd(t, "-nv", "-p", "100", "-p", "7", base+"/page.html", base+"/a.css", base+"/d.txt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, trace)
	}
	got = last()
	weights := map[string]string{"/page.html": "dep=0 w=100", "/a.css": "dep=0 w=7", "/d.txt": "dep=0 w=7"}
	paths = sentStreams(trace)
	for _, s := range got {
		var id int
		fmt.Sscanf(s, "HEADERS %d", &id)
		if w := weights[paths[id]]; !strings.HasPrefix(s, "HEADERS") || !strings.HasSuffix(s, w+" e=false") {
			t.Errorf("-p 100 -p 7: %s (%s), want %s", s, paths[id], w)
		}
	}
	if len(got) != 3 || !slices.Equal(prioLines(trace, "send"), got) {
		t.Errorf("-p: the server received %q, -v shows %q", got, prioLines(trace, "send"))
	}

	code, _, trace = getCmd(t, "-nv", "-u", "--dep-idle", base+"/d.txt", base+"/a.css")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, trace)
	}
	got = last()
	want = []string{
		"PRIORITY 3 dep=0 w=201 e=false",
		"PRIORITY 5 dep=0 w=101 e=false",
		"PRIORITY 7 dep=0 w=1 e=false",
		"PRIORITY 9 dep=7 w=1 e=false",
		"PRIORITY 11 dep=3 w=1 e=false",
		"HEADERS 13 dep=11 w=16 e=false",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("-u --dep-idle: the server received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// startNghttpdLog serves dir with nghttpd -v (h2c, prior knowledge) and
// returns its base URL and its log.
func startNghttpdLog(t *testing.T, dir string) (string, *testpeer.Output) {
	addr, logs := startNghttpdOut(t, dir, "", "", "-v")
	return "http://" + addr, logs
}

// nghttpdSignals returns the RFC 7540 signals of one connection of an
// nghttpd -v log (its lines "[id=N] ..."), with the stream ids replaced by
// names, so that two clients' connections compare by their structure:
// the anchors in the order sent ("A1".."A5"), the requests by their
// :path, sorted (the assets of a page go out concurrently).
func nghttpdSignals(t *testing.T, log string, conn int) (anchors, requests []string) {
	t.Helper()
	prefix := fmt.Sprintf("[id=%d] ", conn)
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(log, "\n") {
		switch {
		case strings.HasPrefix(line, prefix):
			in = true
			b.WriteString(strings.TrimPrefix(line, prefix))
		case strings.HasPrefix(line, "[id="):
			in = false
		case in:
			b.WriteString(line)
		}
	}
	conv := b.String()
	paths := map[string]string{}
	for _, m := range regexp.MustCompile(`recv \(stream_id=(\d+)\) :path: (\S+)`).FindAllStringSubmatch(conv, -1) {
		paths[m[1]] = m[2]
	}
	names := map[string]string{"0": "root"}
	re := regexp.MustCompile(`^(PRIORITY|HEADERS) (\d+)(?: dep=(\d+) (w=\d+ e=\w+))?$`)
	for _, s := range prioLines(conv, "recv") {
		m := re.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("unexpected %q", s)
		}
		name := paths[m[2]]
		if m[1] == "PRIORITY" {
			name = fmt.Sprintf("A%d", len(anchors)+1)
		}
		names[m[2]] = name
		desc := name + " -"
		if m[3] != "" {
			desc = fmt.Sprintf("%s dep=%s %s", name, names[m[3]], m[4])
		}
		if m[1] == "PRIORITY" {
			anchors = append(anchors, desc)
		} else {
			requests = append(requests, desc)
		}
	}
	sort.Strings(requests)
	return anchors, requests
}

// TestGetE2EPriority7540Nghttpd: nghttpd, a real peer, receives from
// `get --dep-idle -a` and `get -p` the same RFC 7540 signals as from
// nghttp for the same command (nghttp's dependencies on idle anchors
// are its default, --no-dep turns them off): the anchors first, with the
// same weights and dependencies, then each request with the same anchor
// and weight (the stream ids differ: nghttp's anchors start at 3, ours
// at 1).
func TestGetE2EPriority7540Nghttpd(t *testing.T) {
	nghttp := testpeer.Path(t, "nghttp")
	h2kitBinary(t)
	base, logs := startNghttpdLog(t, depIdleSite(t))
	run := func(name string, cmd []string) (anchors, requests []string) {
		t.Helper()
		before := len(logs.String())
		var out []byte
		var err error
		if name == "nghttp" {
			out, err = exec.Command(nghttp, cmd...).CombinedOutput()
		} else {
			var code int
			var errs string
			code, _, errs = getCmd(t, cmd...)
			if code != 0 {
				err = fmt.Errorf("exit %d", code)
			}
			out = []byte(errs)
		}
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, cmd, err, out)
		}
		// nghttpd logs the connection's frames as it handles them; the
		// last ones may come just after the client is done. The client's
		// connection is the last one nghttpd numbered ("[id=N]").
		for deadline := time.Now().Add(2 * time.Second); ; {
			log := logs.String()[before:]
			conn := 0
			for _, m := range regexp.MustCompile(`\[id=(\d+)\]`).FindAllStringSubmatch(log, -1) {
				n, _ := strconv.Atoi(m[1])
				conn = max(conn, n)
			}
			anchors, requests = nghttpdSignals(t, log, conn)
			if len(requests) > 0 && strings.Count(log, " closed\n") >= len(requests) || time.Now().After(deadline) {
				return anchors, requests
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	depArg := []string{}
	if out, _ := exec.Command(nghttp, "--help").CombinedOutput(); strings.Contains(string(out), "--dep-idle") {
		depArg = []string{"--dep-idle"} // older nghttp: anchors only on request
	}
	for _, c := range []struct {
		what      string
		get, ng   []string
		nAnchors  int
		nRequests int
	}{
		{"--dep-idle -a", []string{"-n", "--dep-idle", "-a", base + "/page.html"}, append(depArg, "-n", "-a", base+"/page.html"), 5, 4},
		{"--dep-idle -p", []string{"-n", "--dep-idle", "-p", "100", "-p", "7", base + "/page.html", base + "/d.txt", base + "/b.js"},
			append(depArg, "-n", "-p", "100", "-p", "7", base+"/page.html", base+"/d.txt", base+"/b.js"), 5, 3},
		{"-p", []string{"-n", "-p", "100", "-p", "7", base + "/page.html", base + "/d.txt"},
			[]string{"-n", "--no-dep", "-p", "100", "-p", "7", base + "/page.html", base + "/d.txt"}, 0, 2},
	} {
		ga, gr := run("get", c.get)
		na, nr := run("nghttp", c.ng)
		if len(ga) != c.nAnchors || len(gr) != c.nRequests {
			t.Errorf("%s: get sent %d anchors and %d requests, want %d and %d:\n%s\n%s\nnghttpd log:\n%s", c.what, len(ga), len(gr), c.nAnchors, c.nRequests, ga, gr, logs)
		}
		if !slices.Equal(ga, na) || !slices.Equal(gr, nr) {
			t.Errorf("%s: nghttpd received from get:\n%s\n%s\nfrom nghttp:\n%s\n%s", c.what,
				strings.Join(ga, "\n"), strings.Join(gr, "\n"), strings.Join(na, "\n"), strings.Join(nr, "\n"))
		}
	}
}
