package main

// End-to-end tests: the h2kit binary, built once, runs bench against real
// HTTP/2 servers on loopback: net/http's (prior knowledge and TLS),
// golang.org/x/net's h2c handler (Upgrade), and nghttpd when installed;
// and against h2load on the same server. Peers that are missing skip
// their tests, unless H2KIT_REQUIRE_PEERS=1.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
	//lint:ignore SA1019 x/net's h2c handler is the reference peer for h2c Upgrade (net/http has no h2c Upgrade)
	"golang.org/x/net/http2/h2c"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// h2kitBinary builds the command once per test run.
func h2kitBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped with -short")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "h2kit-bench-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "h2kit")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runH2kit runs the binary with a time limit and returns its exit status
// and output.
func runH2kit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h2kitBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("h2kit %q timed out\nstdout:\n%s\nstderr:\n%s", args, out.String(), errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// benchJSONRun runs bench with --json and decodes the result.
func benchJSONRun(t *testing.T, args ...string) (benchJSON, int, string) {
	t.Helper()
	code, out, errs := runH2kit(t, append([]string{"bench", "--json"}, args...)...)
	var v benchJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("bench %q: exit %d, output is not JSON: %v\nstdout:\n%s\nstderr:\n%s", args, code, err, out, errs)
	}
	return v, code, errs
}

// testHandler answers GET with "hello", POST with the body length it read,
// and /status/NNN with that status. It counts requests by path.
type testHandler struct {
	mu     sync.Mutex
	paths  map[string]int
	total  atomic.Int64
	proto2 atomic.Int64
}

func (h *testHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.total.Add(1)
	if r.ProtoMajor == 2 {
		h.proto2.Add(1)
	}
	h.mu.Lock()
	if h.paths == nil {
		h.paths = map[string]int{}
	}
	h.paths[r.URL.Path]++
	h.mu.Unlock()
	if code, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok {
		n, _ := strconv.Atoi(code)
		w.WriteHeader(n)
		return
	}
	if r.Method == http.MethodPost {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d", n)
		return
	}
	io.WriteString(w, "hello")
}

// newPriorKnowledgeServer serves h with unencrypted HTTP/2 (net/http).
func newPriorKnowledgeServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestBenchE2EPriorKnowledge(t *testing.T) {
	h := &testHandler{}
	base := newPriorKnowledgeServer(t, h)
	v, code, errs := benchJSONRun(t, "-n", "500", "-c", "3", "-m", "7", base+"/a", base+"/b")
	if code != 0 || v.Done != 500 || v.Total != 500 || v.Responses != 500 || v.Succeeded != 500 || v.Failed != 0 || v.Errored != 0 || v.Started != 500 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if v.Status["2xx"] != 500 || v.Latency.Count != 500 || v.Latency.Min <= 0 || v.Latency.Max < v.Latency.P99 || v.ReqPerS <= 0 || v.BytesPerS <= 0 {
		t.Errorf("figures %+v", v)
	}
	if v.Connect.Count != 3 || v.TTFB.Count != 3 || v.BytesData != 500*5 {
		t.Errorf("connect %+v ttfb %+v data %d", v.Connect, v.TTFB, v.BytesData)
	}
	if h.total.Load() != 500 || h.proto2.Load() != 500 {
		t.Errorf("server saw %d requests (%d HTTP/2)", h.total.Load(), h.proto2.Load())
	}
	// Round-robin per connection: quotas 167, 167, 166.
	if h.paths["/a"] != 84+84+83 || h.paths["/b"] != 83+83+83 {
		t.Errorf("paths %v", h.paths)
	}
}

func TestBenchE2ETextAndStatuses(t *testing.T) {
	h := &testHandler{}
	base := newPriorKnowledgeServer(t, h)
	code, out, errs := runH2kit(t, "bench", "-n", "40", "-c", "2", "-m", "4", base+"/status/404", base+"/status/503", base+"/status/302", base+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"requests: 40 total, 40 started, 40 done, 20 succeeded, 20 failed, 0 errored, 0 timeout\n",
		"status codes: 10 2xx, 10 3xx, 10 4xx, 10 5xx\n",
		"time for request:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "progress") {
		t.Errorf("progress line on a pipe:\n%q", out)
	}
}

func TestBenchE2EBody(t *testing.T) {
	h := &testHandler{}
	base := newPriorKnowledgeServer(t, h)
	body := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: past every window
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	v, code, errs := benchJSONRun(t, "-n", "30", "-c", "2", "-m", "4", "-d", "@"+file, base+"/upload")
	if code != 0 || v.Succeeded != 30 || v.Errored != 0 || v.Failed != 0 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	// Each response is the body length the server read.
	if want := int64(30 * len(strconv.Itoa(len(body)))); v.BytesData != want {
		t.Errorf("data bytes %d, want %d", v.BytesData, want)
	}
	if v.BytesSent < int64(30*len(body)) {
		t.Errorf("sent %d bytes, want at least %d", v.BytesSent, 30*len(body))
	}
}

func TestBenchE2EUpgrade(t *testing.T) {
	h := &testHandler{}
	//lint:ignore SA1019 see the import: the reference peer for h2c Upgrade
	srv := httptest.NewServer(h2c.NewHandler(h, &http2.Server{}))
	t.Cleanup(srv.Close)
	v, code, errs := benchJSONRun(t, "-u", "-n", "100", "-c", "2", "-m", "5", srv.URL+"/up")
	if code != 0 || v.Succeeded != 100 || v.Errored != 0 || v.Failed != 0 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if h.total.Load() != 100 {
		t.Errorf("server saw %d requests", h.total.Load())
	}
	// The upgrade request carries a body too.
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, []byte("twelve bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, code, errs = benchJSONRun(t, "-u", "-d", "@"+file, "-n", "10", "-c", "1", "-m", "3", srv.URL+"/up")
	if code != 0 || v.Succeeded != 10 || v.BytesData != 10*2 {
		t.Fatalf("with a body: exit %d, result %+v, stderr %s", code, v, errs)
	}
	// A server without h2c refuses the upgrade: every request errors.
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	v, code, _ = benchJSONRun(t, "-u", "-n", "4", "-c", "2", plain.URL+"/")
	if code != 1 || v.Errored != 4 || v.Done != 4 || len(v.Errors) == 0 || !strings.Contains(v.Errors[0], "upgrade refused") {
		t.Errorf("refused upgrade: exit %d, result %+v", code, v)
	}
}

func TestBenchE2ETLS(t *testing.T) {
	h := &testHandler{}
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)
	v, code, errs := benchJSONRun(t, "-k", "-n", "200", "-c", "2", "-m", "10", srv.URL+"/")
	if code != 0 || v.Succeeded != 200 || v.Errored != 0 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if h.proto2.Load() != 200 {
		t.Errorf("server saw %d HTTP/2 requests", h.proto2.Load())
	}
	// Without -k the test certificate is not trusted.
	v, code, errs = benchJSONRun(t, "-n", "5", srv.URL+"/")
	if code != 1 || v.Errored != 5 || !strings.Contains(errs, "certificate") {
		t.Errorf("untrusted: exit %d, result %+v, stderr %s", code, v, errs)
	}
}

func TestBenchE2EDuration(t *testing.T) {
	base := newPriorKnowledgeServer(t, &testHandler{})
	v, code, errs := benchJSONRun(t, "-D", "300ms", "-c", "2", "-m", "4", base+"/")
	// With -D, total is what started, in the JSON as in the text.
	if code != 0 || v.Succeeded == 0 || v.Errored != 0 || v.Failed != 0 || v.Total != v.Started {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if v.DurationS < 0.3 || v.DurationS > 2 {
		t.Errorf("duration %vs, want about 0.3s", v.DurationS)
	}
	if v.Started < v.Done || v.Started-v.Done > 8 {
		t.Errorf("started %d done %d: at most -c*-m in flight at the end", v.Started, v.Done)
	}
}

func TestBenchE2EConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	code, out, errs := runH2kit(t, "bench", "-n", "6", "-c", "2", "http://"+addr+"/")
	if code != 1 || !strings.Contains(out, "6 done, 0 succeeded, 0 failed, 6 errored") || !strings.Contains(errs, "refused") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if code, _, errs := runH2kit(t, "bench", "-n", "1"); code != 2 || !strings.Contains(errs, "no URL") {
		t.Errorf("usage error: exit %d, stderr %s", code, errs)
	}
}

// startNghttpd serves a temporary directory with nghttpd (h2c, prior
// knowledge) and returns its base URL.
func startNghttpd(t *testing.T) string {
	testpeer.Path(t, "nghttpd")
	h2kitBinary(t) // skip with -short before starting anything
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "1k"), make([]byte, 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	return "http://" + startNghttpdDir(t, dir, "", "")
}

func TestBenchE2ENghttpd(t *testing.T) {
	base := startNghttpd(t)
	v, code, errs := benchJSONRun(t, "-n", "2000", "-c", "4", "-m", "10", base+"/index.html", base+"/1k")
	if code != 0 || v.Done != 2000 || v.Succeeded != 2000 || v.Failed != 0 || v.Errored != 0 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if v.BytesData != 1000*5+1000*1024 {
		t.Errorf("data bytes %d", v.BytesData)
	}
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, make([]byte, 200000), 0o644); err != nil {
		t.Fatal(err)
	}
	v, code, errs = benchJSONRun(t, "-n", "60", "-c", "2", "-m", "4", "-d", "@"+file, base+"/index.html")
	if code != 0 || v.Succeeded != 60 || v.Failed != 0 || v.Errored != 0 {
		t.Fatalf("-d: exit %d, result %+v, stderr %s", code, v, errs)
	}
	v, code, _ = benchJSONRun(t, "-n", "20", "-m", "5", base+"/missing")
	if code != 0 || v.Failed != 20 || v.Status["4xx"] != 20 {
		t.Errorf("404s: exit %d, result %+v", code, v)
	}
}

// h2loadCounts matches h2load's "requests:" line.
var h2loadCounts = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored`)

// TestBenchVsH2load runs h2load and h2kit bench with the same -n/-c/-m
// against the same server (nghttpd when installed, else net/http), and
// checks that both complete the same number of requests.
func TestBenchVsH2load(t *testing.T) {
	h2load := testpeer.Path(t, "h2load")
	var base string
	if _, err := exec.LookPath("nghttpd"); err == nil {
		base = startNghttpd(t) + "/index.html"
	} else {
		base = newPriorKnowledgeServer(t, &testHandler{}) + "/"
	}
	for _, c := range []struct{ n, c, m string }{{"3000", "3", "10"}, {"1000", "1", "1"}, {"999", "4", "100"}} {
		args := []string{"-n", c.n, "-c", c.c, "-m", c.m, base}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, h2load, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("h2load %q: %v\n%s", args, err, out)
		}
		m := h2loadCounts.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("h2load output not understood:\n%s", out)
		}
		theirDone, _ := strconv.ParseInt(m[3], 10, 64)
		theirOK, _ := strconv.ParseInt(m[4], 10, 64)
		v, code, errs := benchJSONRun(t, args...)
		if code != 0 {
			t.Fatalf("bench %q: exit %d: %s", args, code, errs)
		}
		want, _ := strconv.ParseInt(c.n, 10, 64)
		if v.Done != theirDone || v.Succeeded != theirOK || v.Succeeded != want {
			t.Errorf("%q: h2kit done %d succeeded %d; h2load done %d succeeded %d", args, v.Done, v.Succeeded, theirDone, theirOK)
		}
		t.Logf("%q: h2kit %.0f req/s, h2load: %s", args, v.ReqPerS, firstLineWith(string(out), "finished in"))
	}
}

func firstLineWith(s, prefix string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// newGoAwayServer serves HTTP/2 with prior knowledge on loopback, driven
// by an h2kit engine in the server role: each connection answers
// perConn requests with 200, then shuts down gracefully (GOAWAY). It
// returns the base URL and counters of connections and requests.
func newGoAwayServer(t *testing.T, perConn int) (string, *atomic.Int64, *atomic.Int64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns, reqs atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	serve := func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		eng := h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, time.Now())
		out := eng.AppendOutgoing(nil)
		buf := make([]byte, 64<<10)
		served := 0
		status := []hpack.Field{{Name: ":status", Value: "200"}}
		for {
			if _, err := c.Write(out); err != nil {
				return
			}
			if eng.Done() {
				return
			}
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			eng.Receive(buf[:n], time.Now())
			for ev := eng.NextEvent(); ev != nil; ev = eng.NextEvent() {
				if r, ok := ev.(*h2kit.RequestReceived); ok {
					if err := eng.SendHeaders(r.StreamID, status, true); err != nil {
						t.Errorf("SendHeaders: %v", err)
						return
					}
					reqs.Add(1)
					if served++; served == perConn {
						eng.Shutdown()
					}
				}
			}
			out = eng.AppendOutgoing(out[:0])
		}
	}
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Go(func() { serve(c) })
		}
	})
	return "http://" + l.Addr().String(), &conns, &reqs
}

// TestBenchE2EGoAwayReconnect: a server that closes each connection
// gracefully after a few requests; bench reconnects and resends what the
// server did not process, and completes exactly -n requests.
func TestBenchE2EGoAwayReconnect(t *testing.T) {
	h2kitBinary(t)
	base, conns, reqs := newGoAwayServer(t, 10)
	v, code, errs := benchJSONRun(t, "-n", "100", "-c", "2", "-m", "4", base+"/")
	if code != 0 || v.Succeeded != 100 || v.Failed != 0 || v.Errored != 0 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if conns.Load() < 10 || int64(v.Connect.Count) != conns.Load() {
		t.Errorf("%d connections accepted, %d connect samples, want at least 10", conns.Load(), v.Connect.Count)
	}
	t.Logf("%d requests served on %d connections in %.3fs", reqs.Load(), conns.Load(), v.DurationS)
}

// TestBenchE2ETimeout: -T gives up on a server that accepts and never
// answers.
func TestBenchE2ETimeout(t *testing.T) {
	h2kitBinary(t)
	addr := silentListener(t)
	start := time.Now()
	v, code, errs := benchJSONRun(t, "-T", "200ms", "-n", "3", "-m", "3", "http://"+addr+"/")
	if code != 1 || v.Errored != 3 || v.Timeout != 3 || !strings.Contains(errs, "no data from the server for 200ms") {
		t.Errorf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
}

// req/s counts responses, whatever their status, as h2load does: a server
// answering 500 is measured, not reported at 0 req/s.
func TestBenchE2EReqPerSecCountsErrorStatuses(t *testing.T) {
	h := &testHandler{}
	base := newPriorKnowledgeServer(t, h)
	v, code, errs := benchJSONRun(t, "-n", "50", "-c", "1", "-m", "5", base+"/status/500")
	if code != 0 || v.Done != 50 || v.Responses != 50 || v.Succeeded != 0 || v.Failed != 50 || v.Status["5xx"] != 50 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if v.ReqPerS <= 0 {
		t.Errorf("req/s %v for 50 answered requests", v.ReqPerS)
	}
}
