package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeRootETag: --root files carry an ETag from size and
// modification time; If-None-Match with it gets 304, with another 200;
// If-Range with it gets the range; a changed file gets a new tag.
func TestServeRootETag(t *testing.T) {
	root := t.TempDir()
	name := filepath.Join(root, "a.txt")
	if err := os.WriteFile(name, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "b.txt"), []byte("0123456789"), 0o644)
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	os.Chtimes(name, mtime, mtime)
	h, err := newServeHandler(&serveOptions{root: root})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := do("GET", "/a.txt")
	etag := rec.Header().Get("ETag")
	want := `"a-` + strconv.FormatInt(mtime.UnixNano(), 16) + `"`
	if rec.Code != 200 || etag != want {
		t.Fatalf("GET: %d, ETag %q, want %q", rec.Code, etag, want)
	}
	if rec := do("HEAD", "/a.txt"); rec.Header().Get("ETag") != etag {
		t.Errorf("HEAD: ETag %q", rec.Header().Get("ETag"))
	}
	if rec := do("GET", "/b.txt", "If-None-Match", etag); rec.Code != 200 {
		t.Errorf("another file's tag: %d", rec.Code)
	}
	if rec := do("GET", "/a.txt", "If-None-Match", etag); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q, want 304", rec.Code, rec.Body.String())
	}
	if rec := do("GET", "/a.txt", "If-None-Match", `W/"x", `+etag); rec.Code != 304 {
		t.Errorf("If-None-Match list: %d, want 304", rec.Code)
	}
	if rec := do("GET", "/a.txt", "If-None-Match", `"other"`); rec.Code != 200 {
		t.Errorf("If-None-Match other: %d, want 200", rec.Code)
	}
	if rec := do("GET", "/a.txt", "Range", "bytes=2-4", "If-Range", etag); rec.Code != 206 || rec.Body.String() != "234" {
		t.Errorf("If-Range: %d %q, want 206 \"234\"", rec.Code, rec.Body.String())
	}
	// Changed: a new tag, and the old one no longer matches, once the
	// last stat no longer vouches for the cached file (fileFreshness).
	os.WriteFile(name, []byte("changed content"), 0o644)
	time.Sleep(2 * fileFreshness)
	if rec := do("GET", "/a.txt", "If-None-Match", etag); rec.Code != 200 || rec.Header().Get("ETag") == etag || rec.Body.String() != "changed content" {
		t.Errorf("after a change: %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
}

// TestServeE2ERootETag: the ETag and a 304 over h2c.
func TestServeE2ERootETag(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "index.html"), []byte("<p>hi</p>"), 0o644)
	p := startServe(t, "--h2c", "--root", root)
	c := h2Client(true)
	defer c.CloseIdleConnections()
	res, _ := fetch(t, c, "GET", p.url+"/", nil)
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || !strings.HasPrefix(etag, `"9-`) {
		t.Fatalf("GET /: %d, ETag %q", res.StatusCode, etag)
	}
	req, _ := http.NewRequest("GET", p.url+"/index.html", nil)
	req.Header.Set("If-None-Match", etag)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 304 || res.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// TestServeRootFreshness: a cached file answered through its request
// path (rootHandler.fresh) follows the file once fileFreshness has
// passed: a file replaced by a rename with the same size and modification
// time (another inode) is served with its new content, a removed one is
// 404, and one created again is served again; every response's ETag and
// body belong together.
func TestServeRootFreshness(t *testing.T) {
	root := t.TempDir()
	index := filepath.Join(root, "index.html")
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write := func(p, content string) {
		t.Helper()
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(tmp, mtime, mtime)
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
	}
	write(index, "version one\n")
	h, err := newServeHandler(&serveOptions{root: root})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec
	}
	for _, target := range []string{"/", "/", "/index.html", "/index.html"} {
		if rec := get(target); rec.Code != 200 || rec.Body.String() != "version one\n" {
			t.Fatalf("GET %s: %d %q", target, rec.Code, rec.Body)
		}
	}
	time.Sleep(2 * fileFreshness) // unchanged: a new stat vouches for it again
	if rec := get("/"); rec.Code != 200 || rec.Body.String() != "version one\n" {
		t.Fatalf("GET / unchanged after the window: %d %q", rec.Code, rec.Body)
	}
	write(index, "version two\n") // same size and time, another file
	time.Sleep(2 * fileFreshness)
	for _, target := range []string{"/", "/index.html"} {
		rec := get(target)
		if rec.Code != 200 || rec.Body.String() != "version two\n" {
			t.Errorf("GET %s after a rename: %d %q, want version two", target, rec.Code, rec.Body)
		}
		if want := `"c-` + strconv.FormatInt(mtime.UnixNano(), 16) + `"`; rec.Header().Get("ETag") != want {
			t.Errorf("GET %s: ETag %q, want %q", target, rec.Header().Get("ETag"), want)
		}
	}
	os.Remove(index)
	time.Sleep(2 * fileFreshness)
	for _, target := range []string{"/", "/index.html"} {
		if rec := get(target); rec.Code != 404 {
			t.Errorf("GET %s after removal: %d, want 404", target, rec.Code)
		}
	}
	write(index, "version three\n")
	time.Sleep(2 * fileFreshness)
	if rec := get("/"); rec.Code != 200 || rec.Body.String() != "version three\n" {
		t.Errorf("GET / created again: %d %q", rec.Code, rec.Body)
	}
}

// TestServeRootPathsBounded: the request paths remembered (rootHandler
// byPath) lead only to files still in the cache, so that what they keep
// in memory stays within the cache's bound: after more files than the
// cache holds were served, and after a file changed; and they are clean
// paths only (a client's other spellings, served all the same, are not
// remembered: each path learned copies the map).
func TestServeRootPathsBounded(t *testing.T) {
	root := t.TempDir()
	n := fileCacheMaxEntries + 44
	for i := range n {
		if err := os.WriteFile(filepath.Join(root, strconv.Itoa(i)), []byte("file "+strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := newRootHandler(root)
	if err != nil {
		t.Fatal(err)
	}
	get := func(target, want string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 || rec.Body.String() != want {
			t.Fatalf("GET %s: %d %q, want %q", target, rec.Code, rec.Body, want)
		}
	}
	check := func() {
		t.Helper()
		h.mu.RLock()
		defer h.mu.RUnlock()
		if len(h.cache) > fileCacheMaxEntries {
			t.Errorf("%d files cached, bound %d", len(h.cache), fileCacheMaxEntries)
		}
		for p, c := range h.paths() {
			if h.cache[c.name] != c {
				t.Errorf("path %s leads to %s, no longer cached", p, c.name)
			}
			if clean, _ := cleanRequestPath(p); p != clean && p != clean+"/" {
				t.Errorf("path %s remembered, not a clean one", p)
			}
		}
	}
	for i := range n {
		get("/"+strconv.Itoa(i), "file "+strconv.Itoa(i))
		get("//"+strconv.Itoa(i), "file "+strconv.Itoa(i))
	}
	check()
	if len(h.paths()) == 0 {
		t.Fatal("no request path remembered")
	}
	name := filepath.Join(root, strconv.Itoa(n-1))
	os.WriteFile(name, []byte("changed!"), 0o644)
	time.Sleep(2 * fileFreshness)
	get("/"+strconv.Itoa(n-1), "changed!")
	check()
}
