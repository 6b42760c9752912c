package main

// This file holds the handlers of serve: the embedded demo site and the
// test endpoints (/headers, /echo, /bytes/N, /trailers, /delay/MS,
// /status/CODE; /ws is in serve_ws.go), and newServeHandler, which puts together what the
// command line asks for.

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Caps of the test endpoints.
const (
	maxBytesN    = 1 << 30 // /bytes/N: 1 GiB
	maxDelayMS   = 30000   // /delay/MS: 30 s
	bytesPattern = 64 << 10
)

// demoFiles is the demo site: a page about HTTP/2 with its stylesheet,
// script and images.
//
//go:embed demo
var demoFiles embed.FS

// demoPush is what the demo page pushes by default: its critical assets.
var demoPush = []string{"/style.css", "/app.js", "/logo.svg"}

// newServeHandler returns the handler of o: the files of o.root or the
// demo site and test endpoints, with the push rules, and a Server field.
// Pushes are not recorded per connection (see newServeHandlerDiary).
func newServeHandler(o *serveOptions) (http.Handler, error) {
	return newServeHandlerDiary(o, nil)
}

// newServeHandlerDiary is newServeHandler with the push diaries of the
// connections: diaryOf returns the diary of a request's connection from
// its RemoteAddr (see withPush).
func newServeHandlerDiary(o *serveOptions, diaryOf func(remote string) *pushDiary) (http.Handler, error) {
	h, _, err := newServeHandlerRoot(o, diaryOf)
	return h, err
}

// newServeHandlerRoot is newServeHandlerDiary that also returns the file
// handler of o.root (nil for the demo site).
func newServeHandlerRoot(o *serveOptions, diaryOf func(remote string) *pushDiary) (http.Handler, *rootHandler, error) {
	rules := pushRules{}
	var h http.Handler
	var rh *rootHandler
	if o.root != "" {
		var err error
		if rh, err = newRootHandler(o.root); err != nil {
			return nil, nil, err
		}
		h = rh
	} else {
		mux, err := demoMux()
		if err != nil {
			return nil, nil, err
		}
		mux.Handle("/ws", newWSEcho(o.wsStopping, o.wsLogger))
		h = mux
		if !o.noPush {
			rules["/"] = demoPush
			rules["/index.html"] = demoPush
		}
	}
	for p, assets := range o.push {
		for _, a := range assets {
			if !slices.Contains(rules[p], a) {
				rules[p] = append(rules[p], a)
			}
		}
	}
	h = withPush(h, rules, diaryOf)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Server"] = serverField
		h.ServeHTTP(w, r)
	}), rh, nil
}

// serverField is the value of the Server field of every response, set
// without an allocation per request. Its len is its cap, so that a
// handler that adds a value (Header.Add) appends to a copy; handlers
// replace it or leave it alone, never write into it.
var serverField = []string{"h2kit"}

// demoMux routes the demo site and the test endpoints.
func demoMux() (*http.ServeMux, error) {
	site, err := newStaticSite(demoFiles, "demo")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/headers", handleHeaders)
	mux.HandleFunc("/echo", handleEcho)
	mux.HandleFunc("GET /bytes/{n}", handleBytes)
	mux.HandleFunc("/trailers", handleTrailers)
	mux.HandleFunc("/delay/{ms}", handleDelay)
	mux.HandleFunc("/status/{code}", handleStatus)
	mux.Handle("/", site)
	return mux, nil
}

// staticFile is one file of the embedded site, ready to serve.
type staticFile struct {
	data  []byte
	ctype string
	etag  string
}

// staticSite serves files held in memory, with an ETag each (so that a
// browser revalidates them cheaply) and index.html for "/".
type staticSite struct {
	files map[string]*staticFile // by path: "/style.css"
}

// newStaticSite reads the files under dir of fsys.
func newStaticSite(fsys fs.FS, dir string) (*staticSite, error) {
	s := &staticSite{files: make(map[string]*staticFile)}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ctype := mediaType(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(data)
		}
		s.files[strings.TrimPrefix(p, dir)] = &staticFile{
			data:  data,
			ctype: ctype,
			etag:  `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	return s, err
}

func (s *staticSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/" {
		p = "/index.html"
	}
	f := s.files[p]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache") // revalidate: the ETag makes that a 304
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(f.data))
}

// headerField is one field of the /headers reply.
type headerField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// headersReply is the JSON of /headers.
type headersReply struct {
	Proto  string        `json:"proto"`
	TLS    *tlsReply     `json:"tls"` // null for cleartext
	Remote string        `json:"remote"`
	Note   string        `json:"note,omitempty"`
	Fields []headerField `json:"headers"`
}

type tlsReply struct {
	Version     string `json:"version"`
	ALPN        string `json:"alpn"`
	CipherSuite string `json:"cipher_suite"`
	ServerName  string `json:"server_name,omitempty"`
}

// requestFieldsOf lists the header fields of r as HTTP/2 has them:
// pseudo-header fields first (:method, :scheme, :authority, :path, and
// :protocol for an extended CONNECT), then the others with lower-case
// names, sorted (the order on the wire is not kept by net/http).
func requestFieldsOf(r *http.Request) []headerField {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	fields := []headerField{{":method", r.Method}}
	if r.Method != http.MethodConnect || len(r.Header[":protocol"]) > 0 {
		fields = append(fields, headerField{":scheme", scheme})
	}
	fields = append(fields, headerField{":authority", r.Host})
	if r.Method != http.MethodConnect || len(r.Header[":protocol"]) > 0 {
		fields = append(fields, headerField{":path", r.URL.RequestURI()})
	}
	for _, v := range r.Header[":protocol"] {
		fields = append(fields, headerField{":protocol", v})
	}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		if !strings.HasPrefix(k, ":") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			fields = append(fields, headerField{strings.ToLower(k), v})
		}
	}
	return fields
}

// handleHeaders answers with the request's header fields as JSON.
func handleHeaders(w http.ResponseWriter, r *http.Request) {
	reply := headersReply{Proto: r.Proto, Remote: r.RemoteAddr, Fields: requestFieldsOf(r)}
	if r.ProtoMajor != 2 {
		reply.Note = "not HTTP/2: the pseudo-header fields are derived from the request line and Host"
	}
	if st := r.TLS; st != nil {
		reply.TLS = &tlsReply{
			Version:     tls.VersionName(st.Version),
			ALPN:        st.NegotiatedProtocol,
			CipherSuite: tls.CipherSuiteName(st.CipherSuite),
			ServerName:  st.ServerName,
		}
	}
	b, err := json.MarshalIndent(reply, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.Write(append(b, '\n'))
}

// handleEcho streams the request body back, with its Content-Type.
func handleEcho(w http.ResponseWriter, r *http.Request) {
	// HTTP/1.1 needs this to read the body while the response goes out.
	http.NewResponseController(w).EnableFullDuplex()
	ctype := r.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	if r.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	io.Copy(w, r.Body)
}

// patternBytes is the content of every /bytes/N response: its first
// N bytes, repeated past 64 KiB. Lines of 63 printable characters and a
// newline, so that a terminal shows it sensibly. It is only read.
var patternBytes = func() []byte {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"
	b := make([]byte, bytesPattern)
	for i := range b {
		if i%64 == 63 {
			b[i] = '\n'
		} else {
			b[i] = alphabet[i%64]
		}
	}
	return b
}()

// parseBytesN parses the N of /bytes/N: 0 to 1 GiB.
func parseBytesN(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("/bytes/N: N must be a number of bytes, not %q", s)
	}
	if n > maxBytesN {
		return 0, fmt.Errorf("/bytes/N: N is at most %d (1 GiB)", maxBytesN)
	}
	return n, nil
}

// handleBytes sends N bytes, streamed from the shared pattern buffer.
func handleBytes(w http.ResponseWriter, r *http.Request) {
	n, err := parseBytesN(r.PathValue("n"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	if r.Method == http.MethodHead {
		return
	}
	for n > 0 {
		chunk := patternBytes[:min(n, int64(len(patternBytes)))]
		k, err := w.Write(chunk)
		if err != nil {
			return // the client went away or reset the stream
		}
		n -= int64(k)
	}
}

// handleTrailers sends a body in a few flushed pieces, then trailer
// fields: the body's SHA-256 and a fixed one.
func handleTrailers(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Trailer", "X-Body-Sha256, X-Trailer-Example")
	sum := sha256.New()
	rc := http.NewResponseController(w)
	for _, line := range []string{
		"This body is followed by trailer fields:\n",
		"a HEADERS frame with END_STREAM after the DATA frames.\n",
		"x-body-sha256 is the SHA-256 of this body.\n",
	} {
		io.WriteString(w, line)
		io.WriteString(sum, line)
		rc.Flush()
	}
	h.Set("X-Body-Sha256", hex.EncodeToString(sum.Sum(nil)))
	h.Set("X-Trailer-Example", "sent after the body")
}

// handleDelay answers after MS milliseconds (at most 30 s), or gives up
// when the request is cancelled.
func handleDelay(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.PathValue("ms"))
	if err != nil || ms < 0 || ms > maxDelayMS {
		http.Error(w, fmt.Sprintf("/delay/MS: MS must be 0 to %d milliseconds", maxDelayMS), http.StatusBadRequest)
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "delayed %d ms\n", ms)
}

// handleStatus answers with the status of the path, 200 to 599.
func handleStatus(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, "/status/CODE: CODE must be 200 to 599", http.StatusBadRequest)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if code == http.StatusNoContent || code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if code >= 300 && code < 400 {
		w.Header().Set("Location", "/")
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s\n", code, http.StatusText(code))
}
