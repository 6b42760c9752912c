package main

// This file holds serve's file serving (--root DIR, like nghttpd's
// docroot) and its push rules (--push PATH=ASSET,...).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// pushRules maps a request path to the assets pushed with it (--push,
// repeatable). It is a flag.Value.
type pushRules map[string][]string

// String lists the rules in the flag's syntax.
func (p pushRules) String() string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		s = append(s, k+"="+strings.Join(p[k], ","))
	}
	return strings.Join(s, " ")
}

// Set adds a rule "PATH=ASSET[,ASSET...]". PATH and the assets are
// absolute paths; assets already pushed for PATH are not repeated.
func (p pushRules) Set(s string) error {
	target, list, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("push rule %q: want PATH=ASSET[,ASSET...]", s)
	}
	if err := checkPushPath(target); err != nil {
		return fmt.Errorf("push rule %q: %v", s, err)
	}
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		if err := checkPushPath(a); err != nil {
			return fmt.Errorf("push rule %q: asset: %v", s, err)
		}
		if !slices.Contains(p[target], a) {
			p[target] = append(p[target], a)
		}
	}
	return nil
}

// checkPushPath accepts a path that starts with "/", has no spaces or
// control characters, and no "." or ".." segment or doubled slash (an
// asset named so would be served under another path, or looks meant to
// leave the root). A query is allowed for assets.
func checkPushPath(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	if s[0] != '/' || strings.HasPrefix(s, "//") {
		return fmt.Errorf("%q is not an absolute path (it must start with a single /)", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q: invalid character", s)
		}
	}
	p, _, _ := strings.Cut(s, "?")
	if clean := path.Clean(p); clean != p && clean+"/" != p {
		return fmt.Errorf("%q has . or .. segments or doubled slashes: name the asset as it is served, %q", s, clean)
	}
	return nil
}

// checkPushAssets checks, before serving, that every asset of the --push
// rules of o is served: a HEAD request for it, run through the files of
// o.root (or the demo site), must answer 200. An asset that is missing,
// outside the root (a symbolic link out of it) or not a file would
// otherwise be promised and answered 404 on every push. A --root that
// cannot be opened is left for serve to report.
func checkPushAssets(o *serveOptions) error {
	if len(o.push) == 0 {
		return nil
	}
	var h http.Handler
	where, hint := "the demo site", "name a path of the demo site"
	if o.root != "" {
		rh, err := newRootHandler(o.root)
		if err != nil {
			return nil
		}
		h, where, hint = rh, o.root, "name a file inside the root (symbolic links out of it are not followed)"
	} else {
		mux, err := demoMux()
		if err != nil {
			return err
		}
		h = mux
	}
	for _, p := range slices.Sorted(maps.Keys(o.push)) {
		for _, a := range o.push[p] {
			code := probeStatus(h, a)
			if code != http.StatusOK {
				return fmt.Errorf("--push %s=%s: %s is not served by %s (HEAD %s answers %d %s): %s",
					p, a, a, where, a, code, http.StatusText(code), hint)
			}
		}
	}
	return nil
}

// probeStatus returns the status h answers to a HEAD request for target
// (at most 2 seconds: /delay/MS of the demo site waits).
func probeStatus(h http.Handler, target string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://localhost"+target, nil)
	if err != nil {
		return http.StatusBadRequest
	}
	w := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.code == 0 {
		return http.StatusOK // nothing written: net/http sends 200
	}
	return w.code
}

// statusRecorder is a ResponseWriter that keeps only the final status.
type statusRecorder struct {
	header http.Header
	code   int
}

func (w *statusRecorder) Header() http.Header { return w.header }

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// rootHandler serves the files under a directory: GET and HEAD only,
// index.html for a directory, no directory listing, and nothing outside
// the directory, symbolic links included (os.Root).
type rootHandler struct {
	fsys fs.FS // root.FS() of the directory

	mu    sync.RWMutex
	cache map[string]*cachedFile // small files, by name
	// byPath maps a request path (r.URL.Path as received, in its clean
	// form) to the cached file it was answered with, so that the next
	// request for it finds the file without cleaning the path, joining
	// "index.html" or opening anything (see fresh). Every request reads
	// it, without a lock; a change (a path learned, a file leaving the
	// cache) stores a new one, made under mu (setPaths).
	byPath atomic.Pointer[pathIndex]
}

// pathIndex is a byPath map, with its entries in a slice too when they
// are few.
type pathIndex struct {
	m   map[string]*cachedFile
	few []pathFile // m's entries when it has at most pathScanMax, else nil
}

// pathFile is an entry of a byPath map.
type pathFile struct {
	path string
	c    *cachedFile
}

// pathScanMax is the most paths a pathIndex looks through one by one:
// comparing a request path with a few others (a length, and the bytes
// when it is the same) costs less than a map lookup, which hashes the
// path (about 100 instructions).
const pathScanMax = 4

// paths returns the current byPath map (nil before the first path).
func (h *rootHandler) paths() map[string]*cachedFile {
	if x := h.byPath.Load(); x != nil {
		return x.m
	}
	return nil
}

// setPaths makes m the byPath map (h.mu held); m is not changed after.
func (h *rootHandler) setPaths(m map[string]*cachedFile) {
	x := &pathIndex{m: m}
	if len(m) <= pathScanMax {
		x.few = make([]pathFile, 0, len(m))
		for p, c := range m {
			x.few = append(x.few, pathFile{p, c})
		}
	}
	h.byPath.Store(x)
}

// pathFile returns the cached file the request path p led to (byPath),
// or nil.
func (h *rootHandler) pathFile(p string) *cachedFile {
	x := h.byPath.Load()
	if x == nil {
		return nil
	}
	if x.few == nil {
		return x.m[p]
	}
	for i := range x.few {
		if e := &x.few[i]; e.path == p {
			return e.c
		}
	}
	return nil
}

// cachedFile is the content of a small file as it was when read, with
// the stat that identifies it: it is served while a stat of the name
// still matches (same file, size, mode and modification time), one stat
// rather than an open, a stat, reads and a close, as nghttpd keeps its
// files open. A stat that matched vouches for the file for
// fileFreshness: requests within that time are served without another.
type cachedFile struct {
	name    string // under the root
	st      fs.FileInfo
	data    []byte
	checked atomic.Int64 // monoNow() before the last stat that matched st
	// The response header values of a plain GET or HEAD, made once (see
	// serveCached); each slice has len == cap, so an append copies.
	etag, lastModified, contentType, contentLength []string
}

// fileFreshness is how long a stat that showed a cached file unchanged
// vouches for it. A change to a file (written, replaced, removed) is
// therefore seen by every request that starts more than fileFreshness
// after the change, and by most of those before: a stat per file and
// millisecond instead of one per request, which under load is most of
// the cost of a cached file (a system call through os.Root, about a
// microsecond here). A response is always one version of the file: its
// body, ETag, Last-Modified and length come from the same read and stat.
const fileFreshness = time.Millisecond

// clockBase is the origin of monoNow.
var clockBase = time.Now()

// monoNow is the monotonic clock in nanoseconds since clockBase
// (time.Since reads only the monotonic clock).
func monoNow() int64 { return int64(time.Since(clockBase)) }

// fresh reports whether a stat vouched for c less than fileFreshness
// before now (monoNow).
func (c *cachedFile) fresh(now int64) bool {
	return now-c.checked.Load() < int64(fileFreshness)
}

// newCachedFile caches data, read from a file of stat st (made at
// monoNow() checked or later), with its response header values as
// http.ServeContent would make them.
func newCachedFile(name string, st fs.FileInfo, data []byte, checked int64) *cachedFile {
	c := &cachedFile{name: name, st: st, data: data}
	c.checked.Store(checked)
	one := func(v string) []string { return []string{v} }
	c.etag = one(fileETag(st))
	if mt := st.ModTime(); !mt.IsZero() && !mt.Equal(time.Unix(0, 0)) {
		c.lastModified = one(mt.UTC().Format(http.TimeFormat))
	}
	ctype := mediaType(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data[:min(len(data), 512)])
	}
	c.contentType = one(ctype)
	c.contentLength = one(strconv.Itoa(len(data)))
	return c
}

// acceptRanges is the Accept-Ranges value of every file response.
var acceptRanges = []string{"bytes"}

// conditionalHeaders are the request fields that make a file response
// other than a plain 200 (RFC 9110, Sections 13.1 and 14.2). If-Range is
// not among them: a server ignores it in a request without Range (RFC
// 9110, Section 13.1.5), as http.ServeContent does, so that Range alone
// decides.
var conditionalHeaders = [...]string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}

// hasConditional reports whether h holds one of conditionalHeaders. A
// map of up to 8 fields (one group of slots) is scanned, which costs
// about half of the 5 lookups that a larger one is given.
func hasConditional(h http.Header) bool {
	if len(h) > 8 {
		for _, k := range conditionalHeaders {
			if _, ok := h[k]; ok {
				return true
			}
		}
		return false
	}
	n := len(h)
	for k := range h {
		if k == "Range" || len(k) > 3 && k[:3] == "If-" {
			for _, c := range conditionalHeaders {
				if k == c {
					return true
				}
			}
		}
		if n--; n == 0 {
			break // every key seen: the walk need not look at the slots left
		}
	}
	return false
}

// serverLengthMax is the largest body whose Content-Length serveCached
// leaves to the server: a handler that writes a body of up to a few KiB
// whole and returns, without a Flush, gets the field from net/http (up
// to 2048 bytes: "the Content-Length header is added automatically", as
// ResponseWriter.Write says) and from h2server (up to its buffer, 8 KiB),
// with the same value. A field fewer in the header map is one fewer for
// the server to look up, lower-case, check and copy: about 0.1 µs of
// h2server's per request (TestServeE2EContentLength checks the field on
// the wire).
const serverLengthMax = 2048

// serveCached answers a GET or HEAD of a cached file that carries no
// conditional or range field with the 200 http.ServeContent would give,
// without its per-request work (header canonicalization, formatting the
// date and the tag, the type lookup). It reports false, having written
// nothing, when the request needs ServeContent; else the body bytes
// written.
func serveCached(w http.ResponseWriter, r *http.Request, c *cachedFile) (int64, bool) {
	h := w.Header()
	if !cachedAnswers(w, h, r) {
		return 0, false
	}
	return writeCached(w, h, r, c), true
}

// noConditionals is h2server's ResponseWriter telling that the request
// came without conditional or range fields (h2server's
// WithoutConditionals); serve's chain adds none to r.Header.
type noConditionals interface{ WithoutConditionals() bool }

// cachedAnswers reports whether writeCached gives r the answer of
// http.ServeContent: r carries no conditional or range field (as w may
// know already, else r.Header tells), and the response header h sets
// neither Content-Type nor Content-Encoding (an empty h, what serveQuick
// is mostly given, sets neither: no lookups).
func cachedAnswers(w http.ResponseWriter, h http.Header, r *http.Request) bool {
	if nc, ok := w.(noConditionals); (!ok || !nc.WithoutConditionals()) && hasConditional(r.Header) {
		return false
	}
	if len(h) == 0 {
		return true
	}
	if _, ok := h["Content-Type"]; ok {
		return false
	}
	_, ok := h["Content-Encoding"]
	return !ok
}

// writeCached writes the 200 of c for a GET or HEAD (h is w.Header()) and
// returns the body bytes written.
func writeCached(w http.ResponseWriter, h http.Header, r *http.Request, c *cachedFile) int64 {
	h["Etag"] = c.etag
	if c.lastModified != nil {
		h["Last-Modified"] = c.lastModified
	}
	h["Content-Type"] = c.contentType
	h["Accept-Ranges"] = acceptRanges
	if r.Method == http.MethodHead || len(c.data) > serverLengthMax {
		h["Content-Length"] = c.contentLength
	}
	w.WriteHeader(http.StatusOK)
	var n int
	if r.Method != http.MethodHead {
		n, _ = w.Write(c.data)
	}
	return int64(n)
}

// Bounds of the file cache.
const (
	fileCacheMaxSize    = 64 << 10 // bytes of one file
	fileCacheMaxEntries = 256
	// byPath: the clean request paths of a file ("/" and "/index.html",
	// "/dir/" and "/dir/index.html"), hence room for several per file.
	filePathMaxEntries = 4 * fileCacheMaxEntries
)

// memFile is a cached file opened: an fs.File and an io.ReadSeeker.
type memFile struct {
	*bytes.Reader
	st fs.FileInfo
	c  *cachedFile
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.st, nil }
func (f *memFile) Close() error               { return nil }

// sameFile reports whether two stats of a name show the same, unchanged
// file.
func sameFile(a, b fs.FileInfo) bool {
	return a.Size() == b.Size() && a.Mode() == b.Mode() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

// newRootHandler opens dir for serving.
func newRootHandler(dir string) (*rootHandler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("--root: %w", err)
	}
	// The first type lookup reads the system's MIME tables
	// (serve_mime.go): done now, not by the first request of a file,
	// whose handler would hold up the burst of requests that come with
	// it (each blocked handler has the server start another goroutine,
	// and an idle goroutine's stack is scanned by every garbage
	// collection until it leaves).
	mediaType(".html")
	return &rootHandler{fsys: root.FS()}, nil
}

// cleanRequestPath returns the clean absolute form of a request path and
// the name to open under the root ("." for the root itself). The clean
// path never climbs above "/".
func cleanRequestPath(p string) (clean, name string) {
	clean = path.Clean("/" + p)
	name = strings.TrimPrefix(clean, "/")
	if name == "" {
		name = "."
	}
	return clean, name
}

func (h *rootHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if c := h.fresh(r.URL.Path, requestStart(w)); c != nil {
		if _, ok := serveCached(w, r, c); !ok { // a conditional or range request
			serveContent(w, r, c.st, bytes.NewReader(c.data))
		}
		return
	}
	clean, name := cleanRequestPath(r.URL.Path)
	if strings.ContainsRune(name, 0) || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/") {
		// Most likely a directory: open its index.html at once, one
		// open rather than two (the directory's, then the file's). Any
		// failure takes the general path below, which answers it.
		if f, st, err := h.open(path.Join(name, "index.html")); err == nil {
			if st.Mode().IsRegular() {
				h.serveFile(w, r, f, st)
				return
			}
			f.Close()
		}
	}
	f, st, err := h.open(name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if st.IsDir() {
		f.Close()
		if !strings.HasSuffix(r.URL.Path, "/") {
			target := clean + "/"
			if clean == "/" {
				target = "/"
			}
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		f, st, err = h.open(path.Join(name, "index.html"))
		if err != nil {
			h.fail(w, r, err) // no index.html: no listing either
			return
		}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, f, st)
}

// quickRoot is serve's handler for --root without push rules: the whole
// chain, and in front of it for the access log (quickServer) the way of
// most requests, a GET or HEAD of a cached file without conditional or
// range fields, taken without the chain's layers and the access log's
// writer: the same answer, the Server field included, outside the paths
// that ask for a client certificate.
type quickRoot struct {
	http.Handler // the chain
	root         *rootHandler
	cc           *clientCertOptions
}

func (q *quickRoot) serveQuick(w http.ResponseWriter, r *http.Request, start int64) (int64, bool) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || q.cc.guards(r.URL.Path) {
		return 0, false
	}
	c := q.root.fresh(r.URL.Path, start)
	if c == nil {
		return 0, false
	}
	h := w.Header()
	if !cachedAnswers(w, h, r) {
		return 0, false
	}
	h["Server"] = serverField
	return writeCached(w, h, r, c), true
}

// fresh returns the cached file that answered the request path p last
// time, when a stat vouches for it at now (cachedFile.fresh) or a new
// stat of its name shows it unchanged, else nil. (The name a request path
// leads to depends only on which of the names it could mean are regular
// files: while the one it led to is unchanged, it leads there again.)
func (h *rootHandler) fresh(p string, now int64) *cachedFile {
	c := h.pathFile(p)
	if c == nil {
		return nil
	}
	if !c.fresh(now) {
		now = monoNow() // before the stat: what it shows is at least as new
		st, err := fs.Stat(h.fsys, c.name)
		if err != nil || !sameFile(st, c.st) {
			return nil
		}
		c.checked.Store(now)
	}
	return c
}

// requestStart returns when the request whose writer is w started, in
// monoNow's terms: as the access log read it (its writer tells), else
// now. Clock readings cost about 70 ns each on a VM; the access log and
// the file handler share one.
func requestStart(w http.ResponseWriter) int64 {
	if s, ok := w.(interface{ startedAt() int64 }); ok {
		return s.startedAt()
	}
	return monoNow()
}

// forget removes the request paths that lead to c, a file leaving the
// cache (h.mu held): byPath only holds files of the cache, which bounds
// the memory they keep. It runs when the cache changes, not per request.
func (h *rootHandler) forget(c *cachedFile) {
	old := h.paths()
	n := 0
	for _, pc := range old {
		if pc == c {
			n++
		}
	}
	if n == 0 {
		return
	}
	m := make(map[string]*cachedFile, len(old)-n)
	for p, pc := range old {
		if pc != c {
			m[p] = pc
		}
	}
	h.setPaths(m)
}

// remember records that the request path p was answered with the cached
// file c (see fresh). Only a path in its clean form is remembered ("/",
// "/a.css", "/dir/"; not "//a.css" or "/./a.css", which take the longer
// way each time): each path learned copies byPath, and the clean paths
// to cached files are few (about one or two per file), where a client
// can make up any number of other spellings.
func (h *rootHandler) remember(p string, c *cachedFile) {
	if h.pathFile(p) == c {
		return
	}
	if clean, _ := cleanRequestPath(p); p != clean && p != clean+"/" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.paths()
	if old[p] == c || h.cache[c.name] != c {
		return // known meanwhile, or left the cache
	}
	m := make(map[string]*cachedFile, min(len(old), filePathMaxEntries-1)+1)
	for k, v := range old {
		if len(m) == filePathMaxEntries-1 {
			break // drop the rest, any
		}
		m[k] = v
	}
	// A copy: the request's strings may live in its connection's buffers.
	m[strings.Clone(p)] = c
	h.setPaths(m)
}

// serveFile serves the regular file f and closes it, with its ETag, so
// that http.ServeContent answers If-None-Match (304) and If-Range.
func (h *rootHandler) serveFile(w http.ResponseWriter, r *http.Request, f fs.File, st fs.FileInfo) {
	defer f.Close()
	if mf, ok := f.(*memFile); ok {
		h.remember(r.URL.Path, mf.c)
		if _, ok := serveCached(w, r, mf.c); ok {
			return
		}
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	serveContent(w, r, st, rs)
}

// serveContent answers with http.ServeContent, with the file's ETag and
// the Content-Type ServeContent would find (mediaType, else sniffed from
// the first 512 bytes), so that it does not ask the mime package.
func serveContent(w http.ResponseWriter, r *http.Request, st fs.FileInfo, rs io.ReadSeeker) {
	h := w.Header()
	h.Set("ETag", fileETag(st))
	if _, ok := h["Content-Type"]; !ok {
		ctype := mediaType(path.Ext(st.Name()))
		if ctype == "" {
			var buf [512]byte
			n, _ := io.ReadFull(rs, buf[:])
			ctype = http.DetectContentType(buf[:n])
			if _, err := rs.Seek(0, io.SeekStart); err != nil {
				http.Error(w, "500 internal server error", http.StatusInternalServerError)
				return
			}
		}
		h["Content-Type"] = []string{ctype}
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), rs)
}

// fileETag is the entity tag of a file: its size and modification time
// in nanoseconds, in hexadecimal, as nginx makes it from size and
// seconds. It is a strong validator (If-Range may use it): a file that
// changes gets a new modification time, and in practice a new tag.
func fileETag(st fs.FileInfo) string {
	b := make([]byte, 0, 36)
	b = append(b, '"')
	b = strconv.AppendInt(b, st.Size(), 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, st.ModTime().UnixNano(), 16)
	return string(append(b, '"'))
}

// open opens name under the root and stats it. A small regular file is
// served from the cache while it is fresh or its stat shows it
// unchanged.
func (h *rootHandler) open(name string) (fs.File, fs.FileInfo, error) {
	h.mu.RLock()
	c := h.cache[name]
	h.mu.RUnlock()
	now := monoNow() // before the stat: what it shows is at least as new
	if c != nil {
		if c.fresh(now) {
			return &memFile{bytes.NewReader(c.data), c.st, c}, c.st, nil
		}
		if st, err := fs.Stat(h.fsys, name); err == nil && sameFile(st, c.st) {
			c.checked.Store(now)
			return &memFile{bytes.NewReader(c.data), c.st, c}, c.st, nil
		}
	}
	f, err := h.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > fileCacheMaxSize {
		return f, st, nil
	}
	data := make([]byte, st.Size())
	if n, err := io.ReadFull(f, data); err != nil || n != len(data) {
		// Changing while read: serve it uncached.
		if s, ok := f.(io.Seeker); ok {
			if _, err := s.Seek(0, io.SeekStart); err == nil {
				return f, st, nil
			}
		}
		f.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	f.Close()
	c = newCachedFile(name, st, data, now) // its header values made outside the lock
	h.mu.Lock()
	if h.cache == nil {
		h.cache = make(map[string]*cachedFile)
	}
	if old := h.cache[name]; old != nil {
		h.forget(old) // replaced: the file changed
	} else if len(h.cache) >= fileCacheMaxEntries {
		for k, old := range h.cache { // drop one, any
			delete(h.cache, k)
			h.forget(old)
			break
		}
	}
	h.cache[name] = c
	h.mu.Unlock()
	return &memFile{bytes.NewReader(data), st, c}, st, nil
}

// fail answers an open error: 403 for a permission error, else 404
// (which covers attempts to leave the root).
func (h *rootHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, fs.ErrPermission) {
		http.Error(w, "403 forbidden", http.StatusForbidden)
		return
	}
	http.NotFound(w, r)
}
