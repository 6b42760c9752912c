package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
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

func TestParseServeArgs(t *testing.T) {
	o, err := parseServeArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "localhost:8443" || o.h2c || o.root != "" || o.verbose || o.shutdownTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parseServeArgs([]string{"--h2c", "-v", "dir", "--push", "/=/a.css,/b.js", "-p", "/=/a.css", "-p", "/x=/y", "--shutdown-timeout", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "localhost:8080" || !o.h2c || !o.verbose || o.root != "dir" || o.shutdownTimeout != 2*time.Second {
		t.Errorf("parsed: %+v", o)
	}
	if !slices.Equal(o.push["/"], []string{"/a.css", "/b.js"}) || !slices.Equal(o.push["/x"], []string{"/y"}) || len(o.push) != 2 {
		t.Errorf("push rules: %v", o.push)
	}
	if _, err := parseServeArgs([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	for _, args := range [][]string{
		{"--bogus"},
		{"--cert", "c.pem"},
		{"--key", "k.pem"},
		{"--h2c", "--cert", "c", "--key", "k"},
		{"--addr", "nohostport"},
		{"a", "b"},
		{"--root", "a", "b"},
		{"--push", "/index.html"},
		{"--push", "index.html=/a"},
		{"--push", "/=a.css"},
		{"--push", "/=/a,,/b"},
		{"--push", "/=//evil.example/x"},
		{"--shutdown-timeout", "soon"},
	} {
		if o, err := parseServeArgs(args); err == nil {
			t.Errorf("%q: no error (%+v)", args, o)
		}
	}
}

func TestRunServeUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runServe([]string{"-h"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "usage: h2kit serve") {
		t.Errorf("-h: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := runServe([]string{"--nope"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "-nope") {
		t.Errorf("--nope: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := runServe([]string{"--root", filepath.Join(t.TempDir(), "missing"), "--addr", "127.0.0.1:0"}, &out, &errb); code != exitFailure {
		t.Errorf("missing root: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := runServe([]string{"--cert", "/nonexistent.pem", "--key", "/nonexistent.key", "--addr", "127.0.0.1:0"}, &out, &errb); code != exitFailure || !strings.Contains(errb.String(), "certificate") {
		t.Errorf("missing cert: exit %d, %q", code, errb.String())
	}
}

func TestSelfSignedCert(t *testing.T) {
	now := time.Now()
	cert, info, err := serveCertificate("", "", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	sum := sha256.Sum256(cert.Certificate[0])
	var hexPairs []string
	for _, c := range sum {
		hexPairs = append(hexPairs, strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	if len(info) != 2 || info[1] != "SHA-256 fingerprint: "+strings.Join(hexPairs, ":") {
		t.Errorf("info %q", info)
	}
	// The certificate works for a handshake and verifies against itself.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: now}); err != nil {
		t.Error(err)
	}
}

func slogTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// serveDemo runs a request against the demo handler.
func serveDemo(t *testing.T, method, target string, body io.Reader) *http.Response {
	t.Helper()
	h, err := newServeHandler(&serveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, body))
	return rec.Result()
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandleBytes(t *testing.T) {
	for _, n := range []int{0, 10, 64, 100000} {
		res := serveDemo(t, "GET", "/bytes/"+strconv.Itoa(n), nil)
		body := readBody(t, res)
		if res.StatusCode != 200 || len(body) != n || res.Header.Get("Content-Length") != strconv.Itoa(n) {
			t.Fatalf("/bytes/%d: %d, %d bytes, Content-Length %q", n, res.StatusCode, len(body), res.Header.Get("Content-Length"))
		}
		// The same bytes each time: the pattern, repeated.
		for i := 0; i < n; i++ {
			if body[i] != patternBytes[i%len(patternBytes)] {
				t.Fatalf("/bytes/%d: byte %d differs", n, i)
			}
		}
	}
	if got := serveDemo(t, "GET", "/bytes/100", nil); readBody(t, got) != readBody(t, serveDemo(t, "GET", "/bytes/100", nil)) {
		t.Error("two requests got different bytes")
	}
	res := serveDemo(t, "HEAD", "/bytes/1073741824", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Length") != "1073741824" || readBody(t, res) != "" {
		t.Errorf("HEAD at the cap: %d %q", res.StatusCode, res.Header.Get("Content-Length"))
	}
	for _, n := range []string{"1073741825", "99999999999999999999", "-1", "abc", "1e3"} {
		if res := serveDemo(t, "GET", "/bytes/"+n, nil); res.StatusCode != 400 {
			t.Errorf("/bytes/%s: %d, want 400", n, res.StatusCode)
		}
	}
	if _, err := parseBytesN("1073741825"); err == nil || !strings.Contains(err.Error(), "1 GiB") {
		t.Errorf("over the cap: %v", err)
	}
}

func TestHandleStatus(t *testing.T) {
	res := serveDemo(t, "GET", "/status/418", nil)
	if res.StatusCode != 418 || readBody(t, res) != "418 I'm a teapot\n" {
		t.Errorf("/status/418: %d", res.StatusCode)
	}
	res = serveDemo(t, "POST", "/status/503", strings.NewReader("x"))
	if res.StatusCode != 503 {
		t.Errorf("POST /status/503: %d", res.StatusCode)
	}
	res = serveDemo(t, "GET", "/status/204", nil)
	if res.StatusCode != 204 || readBody(t, res) != "" {
		t.Errorf("/status/204: %d", res.StatusCode)
	}
	if res := serveDemo(t, "GET", "/status/302", nil); res.StatusCode != 302 || res.Header.Get("Location") != "/" {
		t.Errorf("/status/302: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, c := range []string{"100", "199", "600", "x", "2000"} {
		if res := serveDemo(t, "GET", "/status/"+c, nil); res.StatusCode != 400 {
			t.Errorf("/status/%s: %d, want 400", c, res.StatusCode)
		}
	}
}

func TestHandleHeaders(t *testing.T) {
	h, err := newServeHandler(&serveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://example.test:8443/headers?q=1", nil)
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/2.0", 2, 0
	req.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, NegotiatedProtocol: "h2", CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	req.Header.Set("User-Agent", "test")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	req.Header.Set("Accept", "*/*")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var reply headersReply
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
		t.Fatal(err)
	}
	want := []headerField{
		{":method", "GET"}, {":scheme", "https"}, {":authority", "example.test:8443"}, {":path", "/headers?q=1"},
		{"accept", "*/*"}, {"user-agent", "test"}, {"x-multi", "1"}, {"x-multi", "2"},
	}
	if !slices.Equal(reply.Fields, want) {
		t.Errorf("fields %v\nwant %v", reply.Fields, want)
	}
	if reply.Proto != "HTTP/2.0" || reply.TLS == nil || reply.TLS.ALPN != "h2" || reply.TLS.Version != "TLS 1.3" || reply.Note != "" {
		t.Errorf("reply %+v, tls %+v", reply, reply.TLS)
	}

	// HTTP/1.1 in clear: derived pseudo-header fields, a note, no TLS.
	res := serveDemo(t, "GET", "http://h.test/headers", nil)
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	if reply.TLS != nil || reply.Note == "" || reply.Fields[1] != (headerField{":scheme", "http"}) {
		t.Errorf("HTTP/1.1 reply %+v", reply)
	}
}

func TestHandleTrailers(t *testing.T) {
	res := serveDemo(t, "GET", "/trailers", nil)
	body := readBody(t, res)
	if res.StatusCode != 200 || body == "" {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	sum := sha256.Sum256([]byte(body))
	if got := res.Trailer.Get("X-Body-Sha256"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("x-body-sha256 %q, want the body's", got)
	}
	if res.Trailer.Get("X-Trailer-Example") == "" {
		t.Errorf("trailers %v", res.Trailer)
	}
}

func TestHandleEchoAndDelay(t *testing.T) {
	res := serveDemo(t, "POST", "/echo", strings.NewReader("hello, echo"))
	if res.StatusCode != 200 || readBody(t, res) != "hello, echo" {
		t.Errorf("/echo: %d", res.StatusCode)
	}
	start := time.Now()
	res = serveDemo(t, "GET", "/delay/30", nil)
	if res.StatusCode != 200 || time.Since(start) < 30*time.Millisecond || readBody(t, res) != "delayed 30 ms\n" {
		t.Errorf("/delay/30: %d after %v", res.StatusCode, time.Since(start))
	}
	for _, ms := range []string{"30001", "-5", "x"} {
		if res := serveDemo(t, "GET", "/delay/"+ms, nil); res.StatusCode != 400 {
			t.Errorf("/delay/%s: %d, want 400", ms, res.StatusCode)
		}
	}
}

func TestDemoSite(t *testing.T) {
	res := serveDemo(t, "GET", "/", nil)
	page := readBody(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Server") != "h2kit" {
		t.Fatalf("/: %d %v", res.StatusCode, res.Header)
	}
	// The page uses its pushed assets, and every asset it names exists.
	for _, asset := range append(slices.Clone(demoPush), "/timeline.js", "/connection.js", "/multiplex.js") {
		if !strings.Contains(page, `"`+asset+`"`) {
			t.Errorf("the page does not use %s", asset)
		}
		res := serveDemo(t, "GET", asset, nil)
		if res.StatusCode != 200 || res.ContentLength == 0 {
			t.Errorf("%s: %d", asset, res.StatusCode)
		}
	}
	if ct := serveDemo(t, "GET", "/app.js", nil).Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js: %q", ct)
	}
	// Revalidation with the ETag.
	h, _ := newServeHandler(&serveOptions{})
	req := httptest.NewRequest("GET", "/style.css", nil)
	req.Header.Set("If-None-Match", serveDemo(t, "GET", "/style.css", nil).Header.Get("ETag"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 304 {
		t.Errorf("If-None-Match: %d, want 304", rec.Code)
	}
	if res := serveDemo(t, "GET", "/missing", nil); res.StatusCode != 404 {
		t.Errorf("/missing: %d", res.StatusCode)
	}
	if res := serveDemo(t, "DELETE", "/", nil); res.StatusCode != 405 {
		t.Errorf("DELETE /: %d", res.StatusCode)
	}
}

// pushRecorder is a ResponseWriter that records pushes.
type pushRecorder struct {
	*httptest.ResponseRecorder
	pushed []string
}

func (p *pushRecorder) Push(target string, _ *http.PushOptions) error {
	p.pushed = append(p.pushed, target)
	return nil
}

func TestPushRules(t *testing.T) {
	pushed := func(o *serveOptions, method, target string, major int) []string {
		t.Helper()
		h, err := newServeHandler(o)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, target, nil)
		req.ProtoMajor = major
		w := &pushRecorder{ResponseRecorder: httptest.NewRecorder()}
		h.ServeHTTP(w, req)
		return w.pushed
	}
	if got := pushed(&serveOptions{}, "GET", "/", 2); !slices.Equal(got, demoPush) {
		t.Errorf("demo /: pushed %v", got)
	}
	if got := pushed(&serveOptions{noPush: true}, "GET", "/", 2); got != nil {
		t.Errorf("--no-push: pushed %v", got)
	}
	if got := pushed(&serveOptions{}, "GET", "/", 1); got != nil {
		t.Errorf("HTTP/1.1: pushed %v", got)
	}
	if got := pushed(&serveOptions{}, "POST", "/", 2); got != nil {
		t.Errorf("POST: pushed %v", got)
	}
	rules := pushRules{}
	rules.Set("/=/style.css,/extra.js")
	rules.Set("/headers=/logo.svg")
	o := &serveOptions{push: rules}
	if got := pushed(o, "GET", "/", 2); !slices.Equal(got, append(slices.Clone(demoPush), "/extra.js")) {
		t.Errorf("demo + --push: pushed %v", got)
	}
	if got := pushed(o, "GET", "/headers", 2); !slices.Equal(got, []string{"/logo.svg"}) {
		t.Errorf("/headers: pushed %v", got)
	}
	if s := rules.String(); s != "/=/style.css,/extra.js /headers=/logo.svg" {
		t.Errorf("String %q", s)
	}
}

func TestRootHandler(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "top index")
	write("a.txt", "file a")
	write("sub/index.html", "sub index")
	write("empty/.keep", "")
	if err := os.WriteFile(filepath.Join(base, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlinks := os.Symlink(filepath.Join(base, "secret"), filepath.Join(root, "escape")) == nil
	os.Symlink(base, filepath.Join(root, "updir"))

	h, err := newServeHandler(&serveOptions{root: root, push: pushRules{"/": {"/a.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, path string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, "/", nil)
		req.URL.Path = path // as the server decoded it, unclean
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/", 200, "top index"},
		{"/index.html", 200, "top index"},
		{"/a.txt", 200, "file a"},
		{"/sub/", 200, "sub index"},
		{"/sub", 301, ""},
		{"/empty/", 404, ""}, // no index.html: no listing
		{"/missing", 404, ""},
		{"/../secret", 404, ""},
		{"/../../../../etc/passwd", 404, ""},
		{"/sub/../../secret", 404, ""},
		{"/..", 301, ""}, // a directory without a slash: to "/"
		{"/a.txt\x00", 404, ""},
	} {
		rec := get("GET", c.path)
		if rec.Code != c.code || (c.body != "" && rec.Body.String() != c.body) {
			t.Errorf("GET %q: %d %q, want %d %q", c.path, rec.Code, rec.Body.String(), c.code, c.body)
		}
		if strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("GET %q: escaped the root: %q", c.path, rec.Body.String())
		}
	}
	if rec := get("GET", "/sub"); rec.Header().Get("Location") != "/sub/" {
		t.Errorf("/sub redirects to %q", rec.Header().Get("Location"))
	}
	if symlinks {
		for _, p := range []string{"/escape", "/updir/secret", "/updir/root/a.txt"} {
			if rec := get("GET", p); rec.Code != 404 {
				t.Errorf("symlink %s: %d %q, want 404", p, rec.Code, rec.Body.String())
			}
		}
	}
	if rec := get("POST", "/a.txt"); rec.Code != 405 {
		t.Errorf("POST: %d", rec.Code)
	}
	if rec := get("HEAD", "/a.txt"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", rec.Code, rec.Body.String())
	}
	if rec := get("GET", "/headers"); rec.Code != 404 {
		t.Errorf("--root has no test endpoints: /headers %d", rec.Code)
	}
	file := filepath.Join(root, "a.txt")
	if _, err := newServeHandler(&serveOptions{root: file}); err == nil {
		t.Error("a file as --root: no error")
	}
}

func TestCleanRequestPath(t *testing.T) {
	for _, c := range [][3]string{
		{"", "/", "."},
		{"/", "/", "."},
		{"/a/b/../c", "/a/c", "a/c"},
		{"/../../x", "/x", "x"},
		{"//x//y/", "/x/y", "x/y"},
		{"..", "/", "."},
	} {
		clean, name := cleanRequestPath(c[0])
		if clean != c[1] || name != c[2] {
			t.Errorf("%q: %q %q, want %q %q", c[0], clean, name, c[1], c[2])
		}
	}
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	h, _ := newServeHandler(&serveOptions{})
	logged := accessLog(h, slogTextLogger(&buf), false)
	rec := httptest.NewRecorder()
	logged.ServeHTTP(rec, httptest.NewRequest("GET", "/status/404", nil))
	line := buf.String()
	for _, s := range []string{"method=GET", "path=/status/404", "status=404", "bytes=14", "duration=", "proto=HTTP/1.1", "remote=192.0.2.1:1234"} {
		if !strings.Contains(line, s) {
			t.Errorf("log line %q lacks %q", line, s)
		}
	}
	// With -v, HTTP/2 requests are shown as frames, not logged.
	buf.Reset()
	req := httptest.NewRequest("GET", "/", nil)
	req.ProtoMajor = 2
	accessLog(h, slogTextLogger(&buf), true).ServeHTTP(httptest.NewRecorder(), req)
	if buf.Len() != 0 {
		t.Errorf("-v logged %q", buf.String())
	}
}
