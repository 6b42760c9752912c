package main

import (
	"bytes"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestServeMediaTypesMatchMime: serve's table answers as
// mime.TypeByExtension for every extension either knows of on this
// system (the built-in ones, the system's files) in its own case, upper
// case and mixed case, and for unknown ones.
func TestServeMediaTypesMatchMime(t *testing.T) {
	tab := loadMediaTable(mediaGlobFiles, mediaTypeFiles)
	exts := map[string]bool{".nope": true, ".": true, "": true, ".HTML": true, ".Tar": true, ".ÄÖ": true}
	for _, es := range [][]mediaEntry{tab.exact, tab.lower} {
		for _, e := range es {
			exts[tab.str(e.ext)] = true
		}
	}
	// The mime package's built-in extensions, by the types serve's
	// built-in table lists: one it has and serve's copy lacks fails.
	for line := range strings.Lines(builtinMediaTypes) {
		_, typ, _ := strings.Cut(strings.TrimSpace(line), " ")
		es, _ := mime.ExtensionsByType(typ)
		for _, e := range es {
			exts[e] = true
		}
	}
	if len(tab.exact) < 60 {
		t.Fatalf("table of %d extensions: the built-in ones missing", len(tab.exact))
	}
	n := 0
	for ext := range exts {
		for _, e := range []string{ext, strings.ToUpper(ext), mixedCase(ext)} {
			if got, want := tab.lookup(e), mime.TypeByExtension(e); got != want {
				t.Errorf("%q: %q, mime.TypeByExtension %q", e, got, want)
				if n++; n > 20 {
					t.FailNow()
				}
			}
		}
	}
}

// mixedCase upper-cases every other letter of s.
func mixedCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// TestServeMediaTableFiles: the mime package's rules for the system
// files. A globs2 database: the first entry of an extension counts, a
// built-in one is not replaced, patterns are skipped, and the mime.types
// files are then not read. Without one: each mime.types file in turn,
// later entries replacing earlier and built-in ones; comments skipped;
// text types get charset=utf-8.
func TestServeMediaTableFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	globs := write("globs2", "# comment\n"+
		"80:application/x-first:*.dup\n"+
		"50:application/x-second:*.dup\n"+
		"50:text/x-plain:*.tx1\n"+
		"50:application/x-notbuiltin:*.html\n"+
		"50:application/x-pattern:*.[ch]\n"+
		"50:application/x-upper:*.UP\n")
	types1 := write("types1", "# comment\n"+
		"application/x-one\tone uno # two\n"+
		"text/x-ish\tish\n"+
		"application/x-html html\n")
	types2 := write("types2", "application/x-two one\n")
	missing := filepath.Join(dir, "missing")

	cases := []struct {
		name         string
		globs, types []string
		ext, want    string
	}{
		{"glob first by weight", []string{missing, globs}, nil, ".dup", "application/x-first"},
		{"glob text charset", []string{globs}, nil, ".tx1", "text/x-plain; charset=utf-8"},
		{"glob keeps built-in", []string{globs}, nil, ".html", "text/html; charset=utf-8"},
		{"glob pattern skipped", []string{globs}, nil, ".[ch]", ""},
		{"glob upper, lower lookup", []string{globs}, nil, ".up", "application/x-upper"},
		{"globs: types files unread", []string{globs}, []string{types1}, ".ish", ""},
		{"types later replaces", []string{missing}, []string{types1, types2}, ".one", "application/x-two"},
		{"types comment ends list", []string{missing}, []string{types1}, ".two", ""},
		{"types second extension", []string{missing}, []string{types1}, ".uno", "application/x-one"},
		{"types text charset", nil, []string{types1, missing}, ".ish", "text/x-ish; charset=utf-8"},
		{"types replace built-in", nil, []string{types1}, ".html", "application/x-html"},
		{"built-in without files", nil, nil, ".CSS", "text/css; charset=utf-8"},
	}
	for _, c := range cases {
		if got := loadMediaTable(c.globs, c.types).lookup(c.ext); got != c.want {
			t.Errorf("%s: %q: %q, want %q", c.name, c.ext, got, c.want)
		}
	}
}

// TestServeContentTypeViaServeContent: the responses that go through
// http.ServeContent (a conditional or range request for a cached file, a
// file too large for the cache), with serve's Content-Type set in front,
// carry the same header fields as ServeContent gives when it finds the
// type itself: a known extension, an upper-case one and a sniffed type.
func TestServeContentTypeViaServeContent(t *testing.T) {
	root := t.TempDir()
	big := bytes.Repeat([]byte("body { margin: 0 }\n"), fileCacheMaxSize/16)
	files := map[string][]byte{
		"a.css":    []byte("p { color: red }"),
		"b.TXT":    []byte("plain"),
		"noext":    []byte("<html><body>sniffed</body></html>"),
		"big.css":  big,
		"bignoext": append([]byte("\x89PNG\r\n\x1a\n"), big...),
	}
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	h := rootWithFiles(t, root, files, mtime)
	for name, data := range files {
		st, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, hdr := range [][]string{nil, {"Range", "bytes=1-3"}, {"If-None-Match", `"other"`}, {"If-None-Match", fileETag(st)}} {
			req := func() *http.Request {
				r := httptest.NewRequest("GET", "/"+name, nil)
				if hdr != nil {
					r.Header.Set(hdr[0], hdr[1])
				}
				return r
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/"+name, nil)) // cache it
			got := httptest.NewRecorder()
			h.ServeHTTP(got, req())
			want := httptest.NewRecorder()
			want.Header().Set("ETag", fileETag(st))
			http.ServeContent(want, req(), st.Name(), st.ModTime(), bytes.NewReader(data))
			gh, wh := got.Header(), want.Header()
			delete(gh, "Server")
			if hdr == nil && len(data) <= serverLengthMax {
				delete(wh, "Content-Length") // left to the server
			}
			if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || !maps.EqualFunc(gh, wh, slices.Equal) {
				t.Errorf("/%s %q: %d %v, want %d %v", name, hdr, got.Code, gh, want.Code, wh)
			}
		}
	}
}
