package main

// End-to-end tests of the bench flags h2load users reach for (issue 14):
// the binary against net/http servers on loopback. Each run is bounded
// (well under 10 s); times are checked only where a flag's meaning
// demands a minimum (-r cannot finish before its last batch, a warm-up is
// left out of the measured duration).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpki"
	"golang.org/x/net/http2"
	//lint:ignore SA1019 x/net's h2c handler is the reference peer for h2c Upgrade (net/http has no h2c Upgrade)
	"golang.org/x/net/http2/h2c"
)

// recordingHandler notes the method and body of each request and answers
// "ok". /sleep waits until the client gives up on the request (or 5 s).
type recordingHandler struct {
	mu      sync.Mutex
	methods map[string]int
	bodies  map[string]int
	total   atomic.Int64
	delay   time.Duration // before each answer
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.total.Add(1)
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	if h.methods == nil {
		h.methods, h.bodies = map[string]int{}, map[string]int{}
	}
	h.methods[r.Method]++
	h.bodies[string(body)]++
	h.mu.Unlock()
	if r.URL.Path == "/sleep" {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
	if code, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok {
		n, _ := strconv.Atoi(code)
		w.WriteHeader(n)
	}
	io.WriteString(w, "ok")
}

func (h *recordingHandler) counts() (methods, bodies map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps2(h.methods), maps2(h.bodies)
}

// maps2 copies a map.
func maps2(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// runH2kitIn runs the binary with extra environment variables and
// standard input.
func runH2kitIn(t *testing.T, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h2kitBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
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

// -d DATA reaches the server as the body; -X sets the method; -d @- reads
// standard input.
func TestBenchE2EDataAndMethod(t *testing.T) {
	h := &recordingHandler{}
	base := newPriorKnowledgeServer(t, h)
	v, code, errs := benchJSONRun(t, "-n", "4", "-c", "2", "-d", "name=h2kit", base+"/form")
	if code != 0 || v.Succeeded != 4 {
		t.Fatalf("-d DATA: exit %d, result %+v, stderr %s", code, v, errs)
	}
	methods, bodies := h.counts()
	if methods["POST"] != 4 || bodies["name=h2kit"] != 4 {
		t.Errorf("-d DATA: server saw methods %v, bodies %v", methods, bodies)
	}

	h2 := &recordingHandler{}
	base = newPriorKnowledgeServer(t, h2)
	v, code, errs = benchJSONRun(t, "-n", "3", "-X", "PUT", "-d", "new content", base+"/doc")
	if code != 0 || v.Succeeded != 3 {
		t.Fatalf("-X PUT: exit %d, result %+v, stderr %s", code, v, errs)
	}
	v, code, errs = benchJSONRun(t, "-n", "2", "-X", "DELETE", base+"/doc")
	if code != 0 || v.Succeeded != 2 {
		t.Fatalf("-X DELETE: exit %d, result %+v, stderr %s", code, v, errs)
	}
	methods, bodies = h2.counts()
	if methods["PUT"] != 3 || methods["DELETE"] != 2 || bodies["new content"] != 3 || bodies[""] != 2 {
		t.Errorf("-X: server saw methods %v, bodies %v", methods, bodies)
	}

	h3 := &recordingHandler{}
	base = newPriorKnowledgeServer(t, h3)
	code, out, errs := runH2kitIn(t, nil, "piped body", "bench", "-n", "2", "-d", "@-", base+"/")
	if code != 0 || !strings.Contains(out, "2 succeeded") {
		t.Fatalf("-d @-: exit %d\n%s\n%s", code, out, errs)
	}
	if _, bodies = h3.counts(); bodies["piped body"] != 2 {
		t.Errorf("-d @-: bodies %v", bodies)
	}
	// A missing file is an error of the run (1), not of usage (2).
	code, _, errs = runH2kitIn(t, nil, "", "bench", "-d", "@"+filepath.Join(t.TempDir(), "missing"), base+"/")
	if code != 1 || !strings.Contains(errs, "missing") {
		t.Errorf("-d @missing: exit %d, stderr %s", code, errs)
	}
}

// newTLSServer starts an HTTP/2 TLS server with httptest's certificate
// (valid for 127.0.0.1) and returns it and that certificate as a PEM file.
func newTLSServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv, writeFile(t, "ca.pem", string(ca))
}

// --cacert trusts the server's certificate without -k; --keylog (or
// $SSLKEYLOGFILE) gets the TLS secrets in the NSS key log format.
func TestBenchE2ECACertAndKeyLog(t *testing.T) {
	h := &recordingHandler{}
	srv, ca := newTLSServer(t, h)
	keys := filepath.Join(t.TempDir(), "keys.txt")
	v, code, errs := benchJSONRun(t, "--cacert", ca, "--keylog", keys, "-n", "6", "-c", "2", srv.URL+"/")
	if code != 0 || v.Succeeded != 6 || v.Errored != 0 {
		t.Fatalf("--cacert: exit %d, result %+v, stderr %s", code, v, errs)
	}
	b, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	// TLS 1.3: four secrets per connection, each "LABEL CLIENT_RANDOM SECRET".
	var lines int
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.Contains(f[0], "_SECRET") || len(f[1]) != 64 {
			t.Errorf("key log line %q", line)
		}
		lines++
	}
	if lines != 8 {
		t.Errorf("%d key log lines for 2 connections, want 8", lines)
	}

	// $SSLKEYLOGFILE is the default.
	envKeys := filepath.Join(t.TempDir(), "env-keys.txt")
	code, out, errs := runH2kitIn(t, []string{"SSLKEYLOGFILE=" + envKeys}, "", "bench", "--cacert", ca, "-n", "1", srv.URL+"/")
	if code != 0 || !strings.Contains(out, "1 succeeded") {
		t.Fatalf("SSLKEYLOGFILE: exit %d\n%s\n%s", code, out, errs)
	}
	if b, err := os.ReadFile(envKeys); err != nil || bytes.Count(b, []byte("\n")) != 4 {
		t.Errorf("SSLKEYLOGFILE: %q %v", b, err)
	}

	// Another CA does not verify the server.
	v, code, errs = benchJSONRun(t, "--cacert", writeFile(t, "other.pem", string(testpki.NewCA("other CA").CertPEM)), "-n", "2", srv.URL+"/")
	if code != 1 || v.Errored != 2 || !strings.Contains(errs, "certificate") || !strings.Contains(errs, "-k skips verification") {
		t.Errorf("other --cacert: exit %d, result %+v, stderr %s", code, v, errs)
	}
}

// -i FILE: URLs one per line, paths on the first URL's origin, after the
// command line's.
func TestBenchE2EInputFile(t *testing.T) {
	h := &testHandler{}
	base := newPriorKnowledgeServer(t, h)
	file := writeFile(t, "urls", base+"/a\n\n/b\n"+base+"/c?q=1\n")
	v, code, errs := benchJSONRun(t, "-i", file, "-n", "9", "-c", "3", "-m", "2")
	if code != 0 || v.Succeeded != 9 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	h.mu.Lock()
	got := maps2(h.paths)
	h.mu.Unlock()
	if got["/a"] != 3 || got["/b"] != 3 || got["/c"] != 3 {
		t.Errorf("paths %v, want 3 of each", got)
	}
	// With a URL on the command line too, and the file on standard input.
	code, out, errs := runH2kitIn(t, nil, "/e\n", "bench", "-i", "-", "-n", "4", base+"/d")
	if code != 0 || !strings.Contains(out, "4 succeeded") {
		t.Fatalf("-i -: exit %d\n%s\n%s", code, out, errs)
	}
	h.mu.Lock()
	got = maps2(h.paths)
	h.mu.Unlock()
	if got["/d"] != 2 || got["/e"] != 2 {
		t.Errorf("paths %v, want 2 of /d and /e", got)
	}
	// A file with a URL of another origin is a usage error naming the line.
	code, _, errs = runH2kit(t, "bench", "-i", writeFile(t, "bad", base+"/\nhttp://192.0.2.1/\n"))
	if code != 2 || !strings.Contains(errs, "line 2") {
		t.Errorf("other origin: exit %d, stderr %s", code, errs)
	}
}

// --log-file: one line per request, tab-separated start (µs since the
// epoch), status (-1 when there was no response) and duration (µs).
func TestBenchE2ELogFile(t *testing.T) {
	h := &recordingHandler{}
	base := newPriorKnowledgeServer(t, h)
	logFile := filepath.Join(t.TempDir(), "requests.log")
	before := time.Now().UnixMicro()
	v, code, errs := benchJSONRun(t, "--log-file", logFile, "-n", "20", "-c", "2", "-m", "3", base+"/ok", base+"/status/404")
	after := time.Now().UnixMicro()
	if code != 0 || v.Done != 20 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	status := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			t.Fatalf("line %q: want 3 tab-separated columns", sc.Text())
		}
		start, err1 := strconv.ParseInt(cols[0], 10, 64)
		us, err2 := strconv.ParseInt(cols[2], 10, 64)
		if err1 != nil || err2 != nil || start < before || start > after || us < 0 || start+us > after {
			t.Errorf("line %q: start or duration out of the run [%d, %d]", sc.Text(), before, after)
		}
		status[cols[1]]++
	}
	if status["200"] != 10 || status["404"] != 10 || len(status) != 2 {
		t.Errorf("statuses %v, want 10 of 200 and 404", status)
	}
}

// -v prints the frames in nghttp's format on standard error; with several
// connections each line says which.
func TestBenchE2EVerbose(t *testing.T) {
	base := newPriorKnowledgeServer(t, &testHandler{})
	code, out, errs := runH2kit(t, "bench", "-v", "-n", "2", base+"/v")
	if code != 0 || !strings.Contains(out, "2 succeeded") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"] Connected\n",
		"] send SETTINGS frame <length=",
		"] recv SETTINGS frame <length=",
		"] send HEADERS frame <length=",
		"          ; Open new stream\n",
		"          :method: GET\n",
		"          :path: /v\n",
		"] recv (stream_id=1) :status: 200\n",
		"          ; First response header\n",
		"] recv DATA frame <length=5, flags=0x01, stream_id=3>\n",
		"] send GOAWAY frame <length=8, flags=0x00, stream_id=0>\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("-v output lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "[id=") {
		t.Errorf("one connection: lines have an id prefix:\n%s", errs)
	}
	code, _, errs = runH2kit(t, "bench", "-v", "-n", "2", "-c", "2", base+"/v")
	if code != 0 || !strings.Contains(errs, "[id=1] [  0.") || !strings.Contains(errs, "[id=2] [  0.") {
		t.Errorf("-c 2: exit %d, stderr:\n%s", code, errs)
	}
	// TLS: the negotiated protocol, as nghttp -v prints it.
	srv, ca := newTLSServer(t, &testHandler{})
	code, _, errs = runH2kit(t, "bench", "-v", "--cacert", ca, "-n", "1", srv.URL+"/")
	if code != 0 || !strings.Contains(errs, "] Connected\nThe negotiated protocol: h2\n") {
		t.Errorf("TLS: exit %d, stderr:\n%s", code, errs)
	}
	// h2c Upgrade: stream 1 is the Upgrade request, answered in HTTP/2.
	//lint:ignore SA1019 x/net's h2c handler is the reference peer for h2c Upgrade
	up := httptest.NewServer(h2c.NewHandler(&testHandler{}, &http2.Server{}))
	t.Cleanup(up.Close)
	code, _, errs = runH2kit(t, "bench", "-v", "-u", "-n", "2", up.URL+"/")
	if code != 0 || !strings.Contains(errs, "] HTTP Upgrade success\n") ||
		!strings.Contains(errs, "recv HEADERS frame <length=") || !strings.Contains(errs, "stream_id=3>\n          ; END_STREAM | END_HEADERS") {
		t.Errorf("-u: exit %d, stderr:\n%s", code, errs)
	}
}

// -t gives up on a request not done in time: it is reset, counted as
// errored and timeout (text and JSON), the connection goes on, and the
// exit status is 1.
func TestBenchE2ERequestTimeout(t *testing.T) {
	h := &recordingHandler{}
	base := newPriorKnowledgeServer(t, h)
	logFile := filepath.Join(t.TempDir(), "log")
	start := time.Now()
	v, code, errs := benchJSONRun(t, "-t", "300ms", "--log-file", logFile, "-n", "6", "-m", "6", base+"/sleep", base+"/fast")
	if code != 1 || v.Done != 6 || v.Succeeded != 3 || v.Errored != 3 || v.Timeout != 3 || v.Started != 6 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("took %v: the sleeping requests were not given up", el)
	}
	if b, err := os.ReadFile(logFile); err != nil || bytes.Count(b, []byte("\t-1\t")) != 3 {
		t.Errorf("log file: %q %v", b, err)
	}
	// The text says it like h2load.
	code, out, _ := runH2kit(t, "bench", "-t", "200ms", "-n", "2", "-m", "2", base+"/sleep", base+"/fast")
	if code != 1 || !strings.Contains(out, "2 done, 1 succeeded, 0 failed, 1 errored, 1 timeout\n") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
	// Without -t, the same requests complete (the handler gives up after 5s
	// at most; /fast only here).
	v, code, errs = benchJSONRun(t, "-t", "5s", "-n", "3", base+"/fast")
	if code != 0 || v.Succeeded != 3 || v.Timeout != 0 {
		t.Errorf("in time: exit %d, result %+v, stderr %s", code, v, errs)
	}
}

// -r opens -r connections per --rate-period until -c: all are made, and
// the run cannot end before the last batch starts.
func TestBenchE2ERate(t *testing.T) {
	var mu sync.Mutex
	var opened []time.Time
	srv := httptest.NewUnstartedServer(&testHandler{})
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened = append(opened, time.Now())
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	v, code, errs := benchJSONRun(t, "-r", "2", "--rate-period", "300ms", "-c", "5", "-n", "10", srv.URL+"/")
	if code != 0 || v.Succeeded != 10 || v.Connect.Count != 5 {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(opened) != 5 {
		t.Fatalf("%d connections, want 5", len(opened))
	}
	// Batches at 0, 300 and 600 ms: the run lasts at least 600 ms, and the
	// last connection comes at least a period after the first.
	if v.DurationS < 0.6 {
		t.Errorf("finished in %vs, before the third batch was due", v.DurationS)
	}
	if span := opened[4].Sub(opened[0]); span < 300*time.Millisecond {
		t.Errorf("connections opened within %v of each other", span)
	}
}

// --warm-up-time: the requests of the warm-up reach the server but not
// the figures, and the measured duration is -D's.
func TestBenchE2EWarmUp(t *testing.T) {
	h := &recordingHandler{delay: 10 * time.Millisecond}
	base := newPriorKnowledgeServer(t, h)
	logFile := filepath.Join(t.TempDir(), "log")
	v, code, errs := benchJSONRun(t, "-D", "500ms", "--warm-up-time", "1s", "--log-file", logFile, "-c", "1", "-m", "1", base+"/")
	if code != 0 || v.Done == 0 || v.Errored != 0 || v.Started != v.Total {
		t.Fatalf("exit %d, result %+v, stderr %s", code, v, errs)
	}
	served := h.total.Load()
	// About 100 requests in the warm-up, 50 after; at least a few of the
	// warm-up's must be missing from the counts.
	if served < v.Started+3 {
		t.Errorf("server saw %d requests, bench counts %d started: the warm-up is counted", served, v.Started)
	}
	// The warm-up is not in the duration (it would make it 1.5 s).
	if v.DurationS < 0.5 || v.DurationS >= 1.4 {
		t.Errorf("duration %vs, want the 0.5s of -D", v.DurationS)
	}
	if b, err := os.ReadFile(logFile); err != nil || int64(bytes.Count(b, []byte("\n"))) != v.Done {
		t.Errorf("log file: %d lines for %d done (%v)", bytes.Count(b, []byte("\n")), v.Done, err)
	}
}

// -w and -W take get's range: a 1-byte stream window (-w 0) still gets
// every response, in 1-byte DATA frames.
func TestBenchE2EWindowBits(t *testing.T) {
	base := newPriorKnowledgeServer(t, &testHandler{})
	v, code, errs := benchJSONRun(t, "-w", "0", "-W", "0", "-n", "3", base+"/")
	if code != 0 || v.Succeeded != 3 || v.BytesData != 15 {
		t.Fatalf("-w 0: exit %d, result %+v, stderr %s", code, v, errs)
	}
	if !strings.Contains(errs, "-w 0") {
		t.Errorf("-w 0: no note on standard error: %s", errs)
	}
	v, code, errs = benchJSONRun(t, "-w", "16", "-W", "20", "-n", "3", base+"/")
	if code != 0 || v.Succeeded != 3 {
		t.Fatalf("-w 16: exit %d, result %+v, stderr %s", code, v, errs)
	}
	if code, _, errs := runH2kit(t, "bench", "-w", "31", base+"/"); code != 2 || !strings.Contains(errs, "0 to 30") {
		t.Errorf("-w 31: exit %d, stderr %s", code, errs)
	}
}

// -t against a server that accepts and never answers: prior knowledge
// (the requests are reset, the connection ends cleanly) and an h2c
// Upgrade that gets no 101 (the Upgrade request times out; with -n the
// client's other requests are lost with it, as with any failed
// connection).
func TestBenchE2ERequestTimeoutSilentServer(t *testing.T) {
	h2kitBinary(t)
	addr := silentListener(t)
	url := "http://" + addr + "/"
	v, code, errs := benchJSONRun(t, "-t", "200ms", "-n", "3", "-m", "3", url)
	if code != 1 || v.Started != 3 || v.Errored != 3 || v.Timeout != 3 || len(v.Errors) != 0 {
		t.Errorf("prior knowledge: exit %d, result %+v, stderr %s", code, v, errs)
	}
	v, code, errs = benchJSONRun(t, "-u", "-t", "200ms", "-n", "2", url)
	if code != 1 || v.Errored != 2 || v.Timeout != 1 || !strings.Contains(errs, "no response within 200ms (-t)") {
		t.Errorf("upgrade: exit %d, result %+v, stderr %s", code, v, errs)
	}
}
