package main

// End-to-end tests of h2kit serve: the binary (built once, see
// h2kitBinary in bench_e2e_test.go) serves on a free loopback port and is
// queried by net/http's HTTP/2 client (golang.org/x/net/http2, bundled),
// its HTTP/1.1 client, and nghttp when installed (skipped when missing,
// unless H2KIT_REQUIRE_PEERS=1). Each server is stopped by its PID.

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// serveProc is a running `h2kit serve`.
type serveProc struct {
	cmd    *exec.Cmd
	out    *testpeer.Output // standard output
	errb   *testpeer.Output // standard error
	url    string           // base URL, without the trailing slash
	done   chan struct{}    // closed when the process has exited
	status int              // exit status, once done
}

var serveURLLine = regexp.MustCompile(`(?m)^Open (https?://\S+)/$`)

// startServe runs h2kit serve with args on a free loopback port and waits
// for the URL it prints. The process is killed at the end of the test if
// it is still running.
func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	return startServeBinary(t, h2kitBinary(t), args...)
}

// startServeBinary is startServe with the h2kit binary bin.
func startServeBinary(t *testing.T, bin string, args ...string) *serveProc {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)
	p := &serveProc{cmd: exec.Command(bin, args...), out: new(testpeer.Output), errb: new(testpeer.Output), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.errb
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.status = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(10 * time.Second)
	for {
		if m := serveURLLine.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("h2kit %q exited with %d before serving\nstdout:\n%s\nstderr:\n%s", args, p.status, p.out, p.errb)
		case <-deadline:
			t.Fatalf("h2kit %q printed no URL\nstdout:\n%s\nstderr:\n%s", args, p.out, p.errb)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop sends sig and waits for the exit status.
func (p *serveProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.status
	case <-time.After(20 * time.Second):
		t.Fatalf("h2kit serve did not exit after %v\nstdout:\n%s\nstderr:\n%s", sig, p.out, p.errb)
		return -1
	}
}

// waitOutput waits until the standard output contains all of want.
func (p *serveProc) waitOutput(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := p.out.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s\nstderr:\n%s", missing, out, p.errb)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// h2Client is an HTTP/2-only client: net/http's Transport, whose HTTP/2
// is golang.org/x/net/http2 bundled (x/net's own http2.Transport is
// deprecated in its favour). Over TLS it skips certificate verification;
// with h2c it uses prior knowledge.
func h2Client(h2c bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Protocols: new(http.Protocols)}
	if h2c {
		tr.Protocols.SetUnencryptedHTTP2(true)
	} else {
		tr.Protocols.SetHTTP2(true)
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// fetch does one request and returns the response and its body.
func fetch(t *testing.T, c *http.Client, method, url string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return res, string(b)
}

// TestServeE2ETLS serves the demo site over TLS with the generated
// certificate: the page, its assets, /echo, /bytes and /headers over
// HTTP/2; HTTP/1.1 on the same port; the fingerprint printed is the
// certificate's; SIGTERM ends it with status 0.
func TestServeE2ETLS(t *testing.T) {
	p := startServe(t)
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("URL %s", p.url)
	}
	c := h2Client(false)
	defer c.CloseIdleConnections()
	res, page := fetch(t, c, "GET", p.url+"/", nil)
	if res.StatusCode != 200 || res.Proto != "HTTP/2.0" || !strings.Contains(page, "HTTP/2 at work") {
		t.Fatalf("/: %d %s\n%.200s", res.StatusCode, res.Proto, page)
	}
	for _, asset := range []string{"/style.css", "/app.js", "/logo.svg", "/timeline.js", "/connection.js", "/multiplex.js"} {
		if res, body := fetch(t, c, "GET", p.url+asset, nil); res.StatusCode != 200 || body == "" {
			t.Errorf("%s: %d", asset, res.StatusCode)
		}
	}
	msg := strings.Repeat("echo me ", 10000)
	if res, body := fetch(t, c, "POST", p.url+"/echo", strings.NewReader(msg)); res.StatusCode != 200 || body != msg {
		t.Errorf("/echo: %d, %d bytes back of %d", res.StatusCode, len(body), len(msg))
	}
	if res, body := fetch(t, c, "GET", p.url+"/bytes/300000", nil); res.StatusCode != 200 || len(body) != 300000 {
		t.Errorf("/bytes/300000: %d, %d bytes", res.StatusCode, len(body))
	}
	if res, _ := fetch(t, c, "GET", p.url+"/bytes/1073741825", nil); res.StatusCode != 400 {
		t.Errorf("/bytes over the cap: %d", res.StatusCode)
	}
	if _, body := fetch(t, c, "GET", p.url+"/headers", nil); !strings.Contains(body, `"name": ":authority"`) || !strings.Contains(body, `"alpn": "h2"`) {
		t.Errorf("/headers: %s", body)
	}
	res, body := fetch(t, c, "GET", p.url+"/trailers", nil)
	if res.Trailer.Get("X-Body-Sha256") == "" || body == "" {
		t.Errorf("/trailers: trailers %v", res.Trailer)
	}

	// HTTP/1.1 on the same port (ALPN http/1.1).
	h1 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}
	if res, _ := fetch(t, h1, "GET", p.url+"/status/201", nil); res.StatusCode != 201 || res.Proto != "HTTP/1.1" {
		t.Errorf("HTTP/1.1: %d %s", res.StatusCode, res.Proto)
	}
	h1.CloseIdleConnections()

	// The fingerprint printed is the certificate's.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(p.url, "https://"), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	fp := certFingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
	conn.Close()
	if !strings.Contains(p.out.String(), "SHA-256 fingerprint: "+fp) {
		t.Errorf("fingerprint %s not printed:\n%s", fp, p.out)
	}
	p.waitOutput(t, "msg=request method=GET path=/ status=200", "path=/echo status=200 bytes=80000", "proto=HTTP/1.1")

	c.CloseIdleConnections()
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d after SIGTERM\nstdout:\n%s\nstderr:\n%s", code, p.out, p.errb)
	}
	if out := p.out.String(); !strings.Contains(out, "stopped") {
		t.Errorf("no shutdown message:\n%s", out)
	}
}

// TestServeE2EVerbose checks the -v frame trace of an h2c connection.
func TestServeE2EVerbose(t *testing.T) {
	p := startServe(t, "--h2c", "-v")
	c := h2Client(true)
	if res, _ := fetch(t, c, "GET", p.url+"/status/200", nil); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	c.CloseIdleConnections()
	p.waitOutput(t,
		"[id=1] [", "connection from 127.0.0.1:",
		"] send SETTINGS frame <length=", "] recv SETTINGS frame <length=",
		"] recv SETTINGS frame <length=0, flags=0x01, stream_id=0>\n          ; ACK\n",
		"] send SETTINGS frame <length=0, flags=0x01, stream_id=0>\n          ; ACK\n",
		"recv (stream_id=1) :method: GET\n", "recv (stream_id=1) :path: /status/200\n",
		"; END_STREAM | END_HEADERS\n", "; Open new stream\n", "; First response header\n          :status: 200\n",
		"; END_STREAM\n", "stream_id=1 closed\n", "] closed\n",
	)
	if code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("exit status %d after SIGINT", code)
	}
	// All the output is in once serve has exited (its writer gathers
	// lines for a few milliseconds).
	if strings.Contains(p.out.String(), "msg=request") {
		t.Errorf("-v printed access-log lines for HTTP/2:\n%s", p.out)
	}
}

// TestServeE2ERootH2C serves a directory over h2c with a push rule and
// checks files, index.html, 404s and the way out of the root.
func TestServeE2ERootH2C(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "www")
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "index.html"), []byte("<p>root index</p>"), 0o644)
	os.WriteFile(filepath.Join(root, "a.css"), []byte("p{}"), 0o644)
	os.WriteFile(filepath.Join(root, "sub", "index.html"), []byte("sub index"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0o644)
	p := startServe(t, "--h2c", "--root", root, "--push", "/=/a.css")
	c := h2Client(true)
	defer c.CloseIdleConnections()
	for _, x := range []struct {
		path string
		code int
		body string
	}{
		{"/", 200, "<p>root index</p>"},
		{"/a.css", 200, "p{}"},
		{"/sub/", 200, "sub index"},
		{"/missing", 404, ""},
		{"/headers", 404, ""},
	} {
		res, body := fetch(t, c, "GET", p.url+x.path, nil)
		if res.StatusCode != x.code || (x.body != "" && body != x.body) {
			t.Errorf("%s: %d %q", x.path, res.StatusCode, body)
		}
	}
	// A raw request line that climbs out of the root, over HTTP/1.1.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	raw, _ := io.ReadAll(conn)
	if strings.Contains(string(raw), "secret\n") || strings.HasSuffix(string(raw), "secret") || !strings.Contains(string(raw), " 404 ") {
		t.Errorf("GET /../secret:\n%s", raw)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// TestServeE2EGracefulShutdown sends SIGTERM while a request is in
// flight: the request completes, then the process exits with status 0.
func TestServeE2EGracefulShutdown(t *testing.T) {
	p := startServe(t, "--h2c")
	c := h2Client(true)
	defer c.CloseIdleConnections()
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := c.Get(p.url + "/delay/800")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{res.StatusCode, string(b), err}
	}()
	time.Sleep(300 * time.Millisecond) // the request is in flight
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.code != 200 || r.body != "delayed 800 ms\n" {
		t.Errorf("request in flight: %d %q %v", r.code, r.body, r.err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if p.status != 0 || !strings.Contains(p.out.String(), "shutting down") {
		t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", p.status, p.out, p.errb)
	}
}

// TestServeE2EPortInUse: a clear error and status 1.
func TestServeE2EPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	code, _, errs := runH2kit(t, "serve", "--addr", l.Addr().String())
	if code != exitFailure || !strings.Contains(errs, "address already in use") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	code, _, errs = runH2kit(t, "serve", "--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem", "--addr", "127.0.0.1:0")
	if code != exitFailure || !strings.Contains(errs, "loading the certificate") {
		t.Errorf("bad cert: exit %d, stderr %q", code, errs)
	}
}

// runNghttp runs nghttp with a time limit and returns its output.
func runNghttp(t *testing.T, args ...string) string {
	t.Helper()
	path := testpeer.Path(t, "nghttp")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nghttp %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestServeE2ENghttp: nghttp against serve over TLS, h2c with prior
// knowledge and h2c Upgrade; the demo page's assets are pushed.
func TestServeE2ENghttp(t *testing.T) {
	testpeer.Path(t, "nghttp")
	pushes := []string{":path: /style.css", ":path: /app.js", ":path: /logo.svg"}
	check := func(name, out string, push bool) {
		t.Helper()
		want := []string{"recv (stream_id=", ":status: 200", "; First response header", "recv SETTINGS frame", "; END_STREAM"}
		if push {
			want = append(want, "recv PUSH_PROMISE frame", "promised_stream_id=2", "; First push response header")
			want = append(want, pushes...)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: nghttp output lacks %q:\n%s", name, w, out)
				return
			}
		}
	}

	tlsSrv := startServe(t)
	check("TLS", runNghttp(t, "-nv", tlsSrv.url+"/"), true)
	out := runNghttp(t, "-nv", "-d", "/dev/null", tlsSrv.url+"/echo")
	check("TLS /echo", out, false)
	if code := tlsSrv.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("TLS server: exit status %d", code)
	}

	h2cSrv := startServe(t, "--h2c", "-v")
	check("h2c", runNghttp(t, "-nv", h2cSrv.url+"/"), true)
	check("h2c Upgrade", runNghttp(t, "-nuv", h2cSrv.url+"/"), true)
	out = runNghttp(t, "-nv", h2cSrv.url+"/trailers")
	check("h2c /trailers", out, false)
	if !strings.Contains(out, "x-body-sha256: ") {
		t.Errorf("/trailers: no trailer:\n%s", out)
	}
	// The server's -v trace shows the pushes too.
	h2cSrv.waitOutput(t, "send PUSH_PROMISE frame", "; First push response header", "h2c, HTTP/1.1 Upgrade")
	if code := h2cSrv.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("h2c server: exit status %d", code)
	}
}
