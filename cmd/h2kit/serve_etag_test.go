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
	// Changed: a new tag, and the old one no longer matches.
	os.WriteFile(name, []byte("changed content"), 0o644)
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
