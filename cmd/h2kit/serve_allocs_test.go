package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// sinkWriter is a ResponseWriter that keeps the status and the body size
// of the last response and reuses its header map, as h2server's workers
// do, so that what AllocsPerRun counts is the handler's own.
type sinkWriter struct {
	header http.Header
	status int
	n      int
}

func (w *sinkWriter) Header() http.Header { return w.header }
func (w *sinkWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *sinkWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// serveAllocsMax is what a GET of a small cached file may allocate in
// serve's handler chain (access log on), beyond what the server itself
// allocates for the request.
const serveAllocsMax = 0

// serveChainRequest returns serve's handler chain for --root (index.html,
// 13 bytes) with the access log on, written to an asyncWriter over
// io.Discard (closed by t's cleanup), the request of h2load's GET / and
// a round function that serves it once into w and checks the response.
func serveChainRequest(tb testing.TB) (round func()) {
	return serveChainRequestVia(tb, false)
}

// rootChain builds serve's handler chain for --h2c --root root.
func rootChain(tb testing.TB, root string) http.Handler {
	tb.Helper()
	o, err := parseServeArgs([]string{"--h2c", "--root", root})
	if err != nil {
		tb.Fatal(err)
	}
	var h1 *h1Origin
	chain, err := serveChain(o, newConnTracker(), &h1)
	if err != nil {
		tb.Fatal(err)
	}
	return chain
}

// serveChainRequestVia is serveChainRequest; with layers, the access log
// does not see the chain as a quickServer, so that the request goes
// through every layer and the access log's writer (the way of a request
// serveQuick leaves to the chain).
func serveChainRequestVia(tb testing.TB, layers bool) (round func()) {
	root := tb.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte("hello, world\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	chain := rootChain(tb, root)
	aw := newAsyncWriter(io.Discard)
	tb.Cleanup(aw.Close)
	if layers {
		chain = http.HandlerFunc(chain.ServeHTTP)
	}
	h := textAccessLog(chain, aw, false)
	req := &http.Request{
		Method: "GET", URL: &url.URL{Path: "/"}, Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: http.Header{"User-Agent": {"h2load nghttp2/1.52.0"}}, Host: "127.0.0.1:8080",
		RemoteAddr: "127.0.0.1:40000", RequestURI: "/",
	}
	w := &sinkWriter{header: http.Header{}}
	return func() {
		clear(w.header)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n != 13 {
			tb.Fatalf("GET /: %d, %d bytes", w.status, w.n)
		}
	}
}

// BenchmarkServeChain: the CPU serve's handler chain adds to a GET / of
// a small cached file (access log on), without the server under it.
func BenchmarkServeChain(b *testing.B) {
	round := serveChainRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		round()
	}
}

// TestServeAllocsPerRequest pins the steady-state allocations of a GET /
// (index.html, 13 bytes, cached) through serve's real handler chain with
// the access log on, as `h2kit serve --root DIR` builds it: at most
// serveAllocsMax per request, its quick way (quickRoot) and through every
// layer. The request is built once and served again and again, as
// h2server hands a handler one it made.
func TestServeAllocsPerRequest(t *testing.T) {
	for _, layers := range []bool{false, true} {
		round := serveChainRequestVia(t, layers)
		round() // fills the file cache
		allocs := testing.AllocsPerRun(2000, round)
		t.Logf("through every layer %v: %.1f allocations per request", layers, allocs)
		if allocs > serveAllocsMax {
			t.Errorf("GET / allocates %.1f times per request in serve's handler chain (through every layer: %v), want at most %d", allocs, layers, serveAllocsMax)
		}
	}
}
