package main

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeCachedMatchesServeContent: a small file served from the cache
// (serveCached, no conditional or range field) gets the same status,
// header fields and body as http.ServeContent gives for it, for GET and
// HEAD, for a known extension and a sniffed type, also when the request
// carries If-Range without Range (which both ignore); with a Range field
// it still goes through ServeContent (206).
func TestServeCachedMatchesServeContent(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{
		"a.css":      []byte("p { color: red }"),
		"noext":      []byte("<html><body>sniffed</body></html>"),
		"index.html": []byte("<p>hi</p>"),
	}
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	h := rootWithFiles(t, root, files, mtime)
	do := func(method, target string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for name, data := range files {
		st, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		// If-Range with a tag that matches, one that does not, and a date.
		for _, hdr := range [][]string{nil, {"If-Range", fileETag(st)}, {"If-Range", `"other"`}, {"If-Range", mtime.Add(-time.Hour).Format(http.TimeFormat)}} {
			for _, method := range []string{"GET", "HEAD"} {
				do(method, "/"+name) // the first request fills the cache
				got := do(method, "/"+name, hdr...)
				want := httptest.NewRecorder()
				want.Header().Set("ETag", fileETag(st))
				wreq := httptest.NewRequest(method, "/"+name, nil)
				if hdr != nil {
					wreq.Header.Set(hdr[0], hdr[1])
				}
				http.ServeContent(want, wreq, st.Name(), st.ModTime(), bytes.NewReader(data))
				if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
					t.Errorf("%s /%s %q: %d %q, want %d %q", method, name, hdr, got.Code, got.Body, want.Code, want.Body)
				}
				gh, wh := got.Header(), want.Header()
				delete(gh, "Server") // serve's own, on every response
				if method == "GET" && len(data) <= serverLengthMax {
					// Left to the server, which adds it (a recorder does
					// not): TestServeE2EContentLength.
					delete(wh, "Content-Length")
				}
				if !maps.EqualFunc(gh, wh, slices.Equal) {
					t.Errorf("%s /%s %q: header\n%v\nwant\n%v", method, name, hdr, gh, wh)
				}
			}
		}
	}
	if rec := do("GET", "/a.css", "Range", "bytes=0-0"); rec.Code != http.StatusPartialContent || rec.Body.String() != "p" {
		t.Errorf("Range: %d %q, want 206 \"p\"", rec.Code, rec.Body)
	}
}

// TestServeHasConditional: hasConditional finds each conditional or range
// field in a small request header (scanned) and in a large one (looked
// up), and nothing in headers without one (If-Range alone included).
func TestServeHasConditional(t *testing.T) {
	browser := http.Header{}
	for _, k := range []string{"User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Cache-Control", "Pragma", "Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Cookie", "If-Modified", "Ranges", "If-Range"} {
		browser[k] = []string{"x"}
	}
	small := http.Header{"User-Agent": {"h2load"}, "If-Modified": {"x"}, "Ranges": {"x"}, "If-Range": {"x"}}
	for _, h := range []http.Header{browser, small, {}} {
		if hasConditional(h) {
			t.Errorf("%d fields without a conditional one: found one", len(h))
		}
		for _, k := range conditionalHeaders {
			c := maps.Clone(h)
			c[k] = []string{"x"}
			// A walk of a small map starts at a random key and stops
			// after the last: the conditional one first, last and between.
			for range 20 {
				if !hasConditional(c) {
					t.Errorf("%d fields with %s: not found", len(c), k)
					break
				}
			}
		}
	}
}

// TestServeE2EContentLength: over HTTP/2 and HTTP/1.1, every file
// response of serve --root carries the Content-Length of its file, for
// GET and HEAD, cached or not: those serveCached leaves to the server
// (GET, up to serverLengthMax bytes) included, empty files too.
func TestServeE2EContentLength(t *testing.T) {
	root := t.TempDir()
	// Around net/http's 2 KiB and h2server's 8 KiB buffers, and the cache's
	// bound: the sizes stay when serverLengthMax changes.
	sizes := []int{0, 13, 2048, 2049, 8192, 8193, 64 << 10, 64<<10 + 1}
	for _, n := range sizes {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", n)), bytes.Repeat([]byte("x"), n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startServe(t, "--h2c", "--root", root, "--no-access-log")
	h1 := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	h2 := h2Client(true)
	defer h1.CloseIdleConnections()
	defer h2.CloseIdleConnections()
	for _, c := range []*http.Client{h2, h1} {
		for _, n := range sizes {
			for _, method := range []string{"GET", "HEAD", "GET"} { // the second GET from the cache
				res, body := fetch(t, c, method, fmt.Sprintf("%s/f%d", p.url, n), nil)
				want := n
				if method == "HEAD" {
					want = 0
				}
				if cl := res.Header.Get("Content-Length"); res.StatusCode != 200 || cl != strconv.Itoa(n) || len(body) != want {
					t.Errorf("%s %s /f%d: %d, Content-Length %q, %d bytes", res.Proto, method, n, res.StatusCode, cl, len(body))
				}
			}
		}
	}
}

// TestServeQuickRoot: for --root without push rules, serveChain is a
// quickRoot, whose serveQuick answers a GET or HEAD of a cached file
// without conditional fields as the chain itself answers it (status,
// header fields, Server included, body), and the access log's line for
// it is the chain's line; every other request it leaves to the chain,
// having written nothing.
func TestServeQuickRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte("hello, world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "protected_resource"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "protected_resource", "index.html"), []byte("guarded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chain := rootChain(t, root)
	q, ok := chain.(*quickRoot)
	if !ok {
		t.Fatalf("serveChain for --root: %T, want *quickRoot", chain)
	}
	req := func(method, target string, hdr ...string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.ProtoMajor, r.Proto = 2, "HTTP/2.0"
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	// Fill the cache and the paths, the chain's way; the protected path's
	// by the file handler itself (the chain answers 403 there, without a
	// --client-ca), so that only the guard keeps serveQuick off it.
	for _, p := range []string{"/", "/index.html"} {
		q.Handler.ServeHTTP(httptest.NewRecorder(), req("GET", p))
	}
	q.root.ServeHTTP(httptest.NewRecorder(), req("GET", "/protected_resource/"))
	if q.root.paths()["/protected_resource/"] == nil {
		t.Fatal("/protected_resource/ not remembered")
	}
	etag := httptest.NewRecorder()
	q.Handler.ServeHTTP(etag, req("GET", "/"))
	for _, c := range []struct {
		method, target string
		hdr            []string
		quick          bool
	}{
		{"GET", "/", nil, true},
		{"HEAD", "/", nil, true},
		{"GET", "/index.html", []string{"User-Agent", "x", "If-Range", `"x"`}, true},
		{"GET", "/", []string{"If-None-Match", etag.Header().Get("Etag")}, false},
		{"GET", "/", []string{"Range", "bytes=0-0"}, false},
		{"POST", "/", nil, false},
		{"GET", "/protected_resource/", nil, false},
		{"GET", "/missing", nil, false},
		{"GET", "//index.html", nil, false}, // not a remembered path
	} {
		got := &streamWriter{ResponseRecorder: httptest.NewRecorder(), id: 7}
		n, ok := q.serveQuick(got, req(c.method, c.target, c.hdr...), monoNow())
		if ok != c.quick {
			t.Errorf("%s %s %q: quick %v, want %v", c.method, c.target, c.hdr, ok, c.quick)
			continue
		}
		if !ok {
			if len(got.Header()) != 0 || got.Body.Len() != 0 || got.Code != 200 || got.Flushed {
				t.Errorf("%s %s %q: left to the chain, but wrote %d %v %q", c.method, c.target, c.hdr, got.Code, got.Header(), got.Body)
			}
			continue
		}
		want := httptest.NewRecorder()
		q.Handler.ServeHTTP(want, req(c.method, c.target, c.hdr...))
		if got.Code != want.Code || got.Body.String() != want.Body.String() || n != int64(want.Body.Len()) ||
			!maps.EqualFunc(got.Header(), want.Header(), slices.Equal) {
			t.Errorf("%s %s %q: quick %d %v %q (%d bytes), chain %d %v %q", c.method, c.target, c.hdr,
				got.Code, got.Header(), got.Body, n, want.Code, want.Header(), want.Body)
		}
		// The access log's lines, the quick way and the chain's, but for
		// the time and the duration.
		var lines [2]bytes.Buffer
		textAccessLog(q, &lines[0], false).ServeHTTP(&streamWriter{ResponseRecorder: httptest.NewRecorder(), id: 7}, req(c.method, c.target, c.hdr...))
		textAccessLog(q.Handler, &lines[1], false).ServeHTTP(&streamWriter{ResponseRecorder: httptest.NewRecorder(), id: 7}, req(c.method, c.target, c.hdr...))
		trim := func(b *bytes.Buffer) string {
			s := b.String()
			if i := strings.Index(s, " level="); i >= 0 {
				s = s[i:]
			}
			if i, j := strings.Index(s, " duration="), strings.Index(s, " proto="); i >= 0 && j > i {
				s = s[:i] + s[j:]
			}
			return s
		}
		if a, b := trim(&lines[0]), trim(&lines[1]); a != b || !strings.Contains(a, " stream=7") {
			t.Errorf("%s %s: access log\n%q, the chain's\n%q", c.method, c.target, a, b)
		}
	}
	// With push rules, the chain's way only.
	o2, err := parseServeArgs([]string{"--h2c", "--root", root, "--push", "/=/index.html"})
	if err != nil {
		t.Fatal(err)
	}
	var h1 *h1Origin
	if h, err := serveChain(o2, newConnTracker(), &h1); err != nil || func() bool { _, ok := h.(quickServer); return ok }() {
		t.Errorf("serveChain with --push: %T %v, want no quickServer", h, err)
	}
}

// TestCachedAnswers: the cached answer is left to http.ServeContent when
// the request has a conditional or range field or the response header
// already sets Content-Type or Content-Encoding, whether the header is
// empty otherwise or not.
func TestCachedAnswers(t *testing.T) {
	get := func(hdr ...string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, "http://x/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	cases := []struct {
		name string
		h    http.Header
		r    *http.Request
		want bool
	}{
		{"empty", http.Header{}, get(), true},
		{"nil", nil, get(), true},
		{"other field", http.Header{"Server": {"x"}}, get(), true},
		{"content-type", http.Header{"Content-Type": {"text/plain"}}, get(), false},
		{"content-type without values", http.Header{"Content-Type": nil}, get(), false},
		{"content-encoding", http.Header{"Server": {"x"}, "Content-Encoding": {"gzip"}}, get(), false},
		{"range", http.Header{}, get("Range", "bytes=0-1"), false},
		{"if-none-match", http.Header{}, get("If-None-Match", `"x"`), false},
		{"if-range alone", http.Header{}, get("If-Range", `"x"`), true},
	}
	for _, c := range cases {
		if got := cachedAnswers(httptest.NewRecorder(), c.h, c.r); got != c.want {
			t.Errorf("%s: cachedAnswers = %v, want %v", c.name, got, c.want)
		}
		// A writer that knows the request has no conditional fields
		// (h2server's WithoutConditionals) spares the look in r.Header;
		// one that does not know leaves it to r.Header.
		if got := cachedAnswers(condWriter{false}, c.h, c.r); got != c.want {
			t.Errorf("%s, a writer that does not know: cachedAnswers = %v, want %v", c.name, got, c.want)
		}
	}
	if !cachedAnswers(condWriter{true}, http.Header{}, get()) {
		t.Error("a writer that knows the request has no conditional fields: cachedAnswers = false")
	}
}

// condWriter is a ResponseWriter that tells whether the request is known
// to have no conditional fields, as h2server's does.
type condWriter struct{ known bool }

func (condWriter) Header() http.Header         { return http.Header{} }
func (condWriter) Write(p []byte) (int, error) { return len(p), nil }
func (condWriter) WriteHeader(int)             {}
func (w condWriter) WithoutConditionals() bool { return w.known }

// rootWithFiles writes files into root, each modified at mtime, and
// returns serve's handler for that root.
func rootWithFiles(t *testing.T, root string, files map[string][]byte, mtime time.Time) http.Handler {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	h, err := newServeHandler(&serveOptions{root: root})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPathIndex: a request path leads to the file of the byPath map
// (setPaths) whether the index looks through its few paths one by one or
// in the map, and no other path leads anywhere.
func TestPathIndex(t *testing.T) {
	for _, n := range []int{0, 1, 2, pathScanMax, pathScanMax + 1, 20} {
		h := &rootHandler{}
		if h.pathFile("/") != nil {
			t.Fatal("a path found before any was learned")
		}
		m := map[string]*cachedFile{}
		for i := range n {
			m[fmt.Sprintf("/f%d.css", i)] = &cachedFile{name: fmt.Sprint(i)}
		}
		h.setPaths(m)
		if few := h.byPath.Load().few; (few != nil) != (n <= pathScanMax) || len(few) > pathScanMax {
			t.Errorf("%d paths: %d looked through one by one", n, len(few))
		}
		for p, c := range m {
			if got := h.pathFile(p); got != c {
				t.Errorf("%d paths: %s leads to %v, want %v", n, p, got, c)
			}
		}
		for _, p := range []string{"/", "/f.css", fmt.Sprintf("/f%d.css", n), "/f0.cs", "/f0.css/"} {
			if got := h.pathFile(p); got != nil {
				t.Errorf("%d paths: %s leads to %v", n, p, got)
			}
		}
	}
}
