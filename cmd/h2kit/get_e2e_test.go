package main

// End-to-end tests of h2kit get: the binary (built once, see h2kitBinary
// in bench_e2e_test.go) fetches from `h2kit serve` (TLS with -k, and
// --h2c), from in-process servers for the error cases and client
// certificates, and from nghttpd when installed (skipped when missing,
// unless H2KIT_REQUIRE_PEERS=1). Everything listens on loopback.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"io/fs"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
	xhpack "golang.org/x/net/http2/hpack"
)

// getCmd runs h2kit get with args.
func getCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runH2kit(t, append([]string{"get"}, args...)...)
}

// getCmdEnv runs h2kit get with extra environment variables.
func getCmdEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h2kitBinary(t), append([]string{"get"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// mustContain fails the test for each of want that s lacks.
func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// sentStreams maps the stream IDs of the requests in a -v trace to their
// :path.
func sentStreams(trace string) map[int]string {
	re := regexp.MustCompile(`send HEADERS frame <[^>]*stream_id=(\d+)>\n(?: {10}.*\n)*? {10}:path: (\S+)`)
	m := map[int]string{}
	for _, s := range re.FindAllStringSubmatch(trace, -1) {
		id, _ := strconv.Atoi(s[1])
		m[id] = s[2]
	}
	return m
}

// countSettings counts the SETTINGS frames (not ACKs) sent in a trace.
func countSettings(trace string) int {
	return len(regexp.MustCompile(`send SETTINGS frame <length=\d+, flags=0x00,`).FindAllString(trace, -1))
}

func TestGetE2EVerboseTLS(t *testing.T) {
	srv := startServe(t)
	code, out, errs := getCmd(t, "-v", "-k", srv.url+"/bytes/1000")
	if code != 0 || out != string(patternBytes[:1000]) {
		t.Fatalf("exit %d, %d bytes out\nstderr:\n%s", code, len(out), errs)
	}
	mustContain(t, "-v trace", errs,
		"[  0.0", "] Connected\n", "The negotiated protocol: h2\n",
		"] send SETTINGS frame <length=", "] recv SETTINGS frame <length=",
		"] send HEADERS frame <", "; END_STREAM | END_HEADERS", "; Open new stream", ":path: /bytes/1000",
		"recv (stream_id=1) :status: 200", "; First response header", "recv DATA frame <length=1000, flags=0x01, stream_id=1>\n          ; END_STREAM",
		"] send GOAWAY frame")
	for _, re := range []string{
		`send SETTINGS frame <length=0, flags=0x01, stream_id=0>\n {10}; ACK`,
		`recv SETTINGS frame <length=0, flags=0x01, stream_id=0>\n {10}; ACK`,
	} {
		if !regexp.MustCompile(re).MatchString(errs) {
			t.Errorf("trace lacks %s:\n%s", re, errs)
		}
	}
	if strings.Contains(out, "SETTINGS") {
		t.Error("the trace went to standard output")
	}
}

func TestGetE2EUpgrade(t *testing.T) {
	srv := startServe(t, "--h2c")
	code, out, errs := getCmd(t, "-v", "-u", "-d", "hello upgrade", srv.url+"/echo")
	if code != 0 || out != "hello upgrade" {
		t.Fatalf("exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	mustContain(t, "-v -u trace", errs,
		"] HTTP Upgrade request\nPOST /echo HTTP/1.1\n", "Upgrade: h2c\n", "HTTP2-Settings: ",
		"] HTTP Upgrade response\nHTTP/1.1 101 Switching Protocols\n", "] HTTP Upgrade success\n",
		"recv (stream_id=1) :status: 200", "; First response header", "; END_STREAM")
	if i, j := strings.Index(errs, "HTTP Upgrade success"), strings.Index(errs, "send SETTINGS frame"); i < 0 || j < i {
		t.Errorf("the client's SETTINGS before the 101:\n%s", errs)
	}
	if strings.Contains(errs, "Open new stream") {
		t.Errorf("stream 1 (the Upgrade request) shown as a new HTTP/2 stream:\n%s", errs)
	}
	// Several URLs: the first is the Upgrade, the others follow on the
	// same connection.
	code, out, errs = getCmd(t, "-v", "-u", srv.url+"/bytes/10", srv.url+"/bytes/20")
	if code != 0 || out != string(patternBytes[:10])+string(patternBytes[:20]) {
		t.Fatalf("exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	if n := strings.Count(errs, "] Connected"); n != 1 {
		t.Errorf("%d connections", n)
	}
	if got := sentStreams(errs); !maps.Equal(got, map[int]string{3: "/bytes/20"}) {
		t.Errorf("HTTP/2 requests %v", got)
	}
	// Prior knowledge on the same server.
	code, out, errs = getCmd(t, "-v", srv.url+"/bytes/10")
	if code != 0 || out != string(patternBytes[:10]) || strings.Contains(errs, "Upgrade") {
		t.Errorf("prior knowledge: exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
}

func TestGetE2EAssets(t *testing.T) {
	srv := startServe(t, "--h2c", "--no-push")
	code, out, errs := getCmd(t, "-v", "-n", "-a", "--stat", srv.url+"/")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errs)
	}
	if n := strings.Count(errs, "] Connected"); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if n := countSettings(errs); n != 1 {
		t.Errorf("%d SETTINGS exchanges, want 1", n)
	}
	// The assets the demo page names, as htmlAssets finds them.
	index, err := demoFiles.ReadFile("demo/index.html")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.url + "/")
	var want, notPushed []string
	for _, u := range htmlAssets(index, base) {
		want = append(want, u.Path)
		if !slices.Contains(demoPush, u.Path) {
			notPushed = append(notPushed, u.Path)
		}
	}
	slices.Sort(want)
	got := sentStreams(errs)
	if got[1] != "/" || len(got) != 1+len(want) || len(want) < 6 {
		t.Fatalf("requests %v, want / on stream 1 and the %d assets %q", got, len(want), want)
	}
	var assets []string
	for id := 3; id < 3+2*len(want); id += 2 {
		assets = append(assets, got[id])
	}
	slices.Sort(assets)
	if !slices.Equal(assets, want) {
		t.Errorf("streams 3... requested %q, want %q", assets, want)
	}
	mustContain(t, "--stat", out, "***** Statistics *****", " /style.css\n", " /app.js\n", " /logo.svg\n", " /timeline.js\n", " 200 ")

	// With push (the demo page pushes its stylesheet, script and logo),
	// only what was not pushed is requested.
	srv = startServe(t, "--h2c")
	code, out, errs = getCmd(t, "-v", "-n", "-a", "--stat", srv.url+"/")
	if code != 0 {
		t.Fatalf("push: exit %d\nstderr:\n%s", code, errs)
	}
	wantSent := map[int]string{1: "/"}
	for i, p := range notPushed {
		wantSent[3+2*i] = p
	}
	if got := sentStreams(errs); !maps.Equal(got, wantSent) {
		t.Errorf("push: requests %v, want %v", got, wantSent)
	}
	for _, p := range []string{"/style.css", "/app.js", "/logo.svg"} {
		if !regexp.MustCompile(`(?m)^ +\*\+\S+ .* 200 .* ` + regexp.QuoteMeta(p) + `$`).MatchString(out) {
			t.Errorf("--stat lacks the push of %s:\n%s", p, out)
		}
	}
}

func TestGetE2EPushDir(t *testing.T) {
	srv := startServe(t)
	dir := filepath.Join(t.TempDir(), "pushed") // created by get
	code, out, errs := getCmd(t, "-k", "-n", "--push-dir", dir, srv.url+"/")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	for _, name := range []string{"style.css", "app.js", "logo.svg"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		want, _ := fs.ReadFile(demoFiles, "demo/"+name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want the %d of the demo file", name, len(got), len(want))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files in the push directory, want 3", len(entries))
	}
	// --no-push: SETTINGS_ENABLE_PUSH = 0, no promise.
	code, _, errs = getCmd(t, "-k", "-n", "-v", "--no-push", srv.url+"/")
	if code != 0 || !strings.Contains(errs, "[SETTINGS_ENABLE_PUSH(0x02):0]") || strings.Contains(errs, "PUSH_PROMISE") {
		t.Errorf("--no-push: exit %d\nstderr:\n%s", code, errs)
	}
}

func TestGetE2EOutputs(t *testing.T) {
	srv := startServe(t, "--h2c")
	urls := []string{srv.url + "/delay/300", srv.url + "/bytes/5", srv.url + "/delay/0"}
	want := "delayed 300 ms\n" + string(patternBytes[:5]) + "delayed 0 ms\n"
	code, out, errs := getCmd(t, append([]string{"--stat"}, urls...)...)
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Fatalf("exit %d, output %q, want it to start with %q\nstderr:\n%s", code, out, want, errs)
	}
	// Concurrent: the slow response ended last.
	if i, j := strings.Index(out, " /bytes/5\n"), strings.Index(out, " /delay/300\n"); i < 0 || j < i {
		t.Errorf("--stat: /delay/300 did not end after /bytes/5:\n%s", out)
	}

	file := filepath.Join(t.TempDir(), "out")
	code, out, errs = getCmd(t, append([]string{"-o", file}, urls...)...)
	if b, _ := os.ReadFile(file); code != 0 || out != "" || string(b) != want {
		t.Errorf("-o: exit %d, stdout %q, file %q\nstderr:\n%s", code, out, b, errs)
	}

	code, out, errs = getCmd(t, "-i", srv.url+"/trailers")
	if code != 0 || !strings.HasPrefix(out, ":status: 200\n") {
		t.Fatalf("-i: exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	// Every field, the trailer field too (the order on the wire is
	// checked by TestGetWireOrderInclude against a server that fixes it;
	// serve's order follows a Go map's).
	mustContain(t, "-i output", out, "\nserver: h2kit\n", "\ncontent-type: text/plain; charset=utf-8\n",
		"\ntrailer: X-Body-Sha256, X-Trailer-Example\n", "\n\nThis body is followed by trailer fields")
	if !regexp.MustCompile(`\nx-body-sha256: [0-9a-f]{64}\nx-trailer-example: sent after the body\n$`).MatchString(out) {
		t.Errorf("-i: trailers not at the end:\n%s", out)
	}

	file = filepath.Join(t.TempDir(), "headers")
	code, out, errs = getCmd(t, "-n", "-D", file, srv.url+"/trailers", srv.url+"/status/404")
	b, _ := os.ReadFile(file)
	if code != 0 || out != "" {
		t.Fatalf("-D: exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	re := regexp.MustCompile(`^:status: 200\n(?:[a-z0-9-]+: .*\n)*content-type: text/plain; charset=utf-8\n(?:[a-z0-9-]+: .*\n)*x-body-sha256: [0-9a-f]{64}\nx-trailer-example: sent after the body\n\n:status: 404\n(?:[a-z0-9-]+: .*\n)+\n$`)
	if !re.Match(b) {
		t.Errorf("-D file:\n%s", b)
	}
}

func TestGetE2EPostAndMultiply(t *testing.T) {
	srv := startServe(t)
	body := make([]byte, 300000) // past every default window
	for i := range body {
		body[i] = byte(i * 7)
	}
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := getCmd(t, "-k", "-d", "@"+file, srv.url+"/echo")
	if code != 0 || out != string(body) {
		t.Fatalf("-d @FILE: exit %d, %d bytes back of %d\nstderr:\n%s", code, len(out), len(body), errs)
	}
	code, out, errs = getCmd(t, "-k", "-X", "PUT", "-H", "X-Test: yes", srv.url+"/headers")
	if code != 0 {
		t.Fatalf("-X: exit %d\nstderr:\n%s", code, errs)
	}
	mustContain(t, "/headers", out, `"value": "PUT"`, `"name": "x-test"`, `"value": "yes"`)

	code, out, errs = getCmd(t, "-k", "-v", "-m", "3", srv.url+"/bytes/7")
	if code != 0 || out != strings.Repeat(string(patternBytes[:7]), 3) {
		t.Fatalf("-m 3: exit %d, output %q\nstderr:\n%s", code, out, errs)
	}
	if n, got := strings.Count(errs, "] Connected"), sentStreams(errs); n != 1 || !maps.Equal(got, map[int]string{1: "/bytes/7", 3: "/bytes/7", 5: "/bytes/7"}) {
		t.Errorf("-m 3: %d connections, requests %v", n, got)
	}

	// -w/-W: the windows advertised.
	code, out, errs = getCmd(t, "-k", "-v", "-w", "10", "-W", "20", srv.url+"/bytes/100000")
	if code != 0 || len(out) != 100000 {
		t.Fatalf("-w -W: exit %d, %d bytes\nstderr:\n%.3000s", code, len(out), errs)
	}
	mustContain(t, "-w -W trace", errs, "[SETTINGS_INITIAL_WINDOW_SIZE(0x04):1023]", "(window_size_increment=983040)")
}

func TestGetE2EFailures(t *testing.T) {
	srv := startServe(t, "--h2c")
	if code, _, errs := getCmd(t, "-n", srv.url+"/status/404"); code != 0 {
		t.Errorf("404 without --fail: exit %d: %s", code, errs)
	}
	code, _, errs := getCmd(t, "-n", "--fail", srv.url+"/status/404", srv.url+"/")
	if code != 1 || !strings.Contains(errs, "/status/404: status 404 Not Found") || strings.Count(errs, "h2kit get:") != 1 {
		t.Errorf("--fail: exit %d: %s", code, errs)
	}

	// A refused connection.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, u := range []string{"http://" + addr + "/", "https://" + addr + "/"} {
		if code, _, errs := getCmd(t, u); code != 1 || !strings.Contains(errs, "connection refused") {
			t.Errorf("%s: exit %d: %s", u, code, errs)
		}
	}

	// A stream reset after part of the body.
	reset := newPriorKnowledgeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	if code, _, errs := getCmd(t, reset+"/"); code != 1 || !strings.Contains(errs, "reading the body") || !strings.Contains(errs, "stream ID 1") {
		t.Errorf("stream reset: exit %d: %s", code, errs)
	}

	// A server that does not speak HTTP/2: a connection error.
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	if code, _, errs := getCmd(t, "http://"+l.Addr().String()+"/"); code != 1 || errs == "" {
		t.Errorf("HTTP/1.1 server: exit %d: %s", code, errs)
	}
	// A GOAWAY with an error code: a connection error (whether or not the
	// stream it lets finish completes first).
	goaway := rawH2Server(t, func(fr *http2.Framer, streamID uint32) {
		var hb bytes.Buffer
		enc := xhpack.NewEncoder(&hb)
		enc.WriteField(xhpack.HeaderField{Name: ":status", Value: "200"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: streamID, BlockFragment: hb.Bytes(), EndHeaders: true})
		// GOAWAY before the end of the stream, so that the client
		// surely reads it before it is done.
		fr.WriteGoAway(streamID, http2.ErrCodeProtocol, []byte("bye"))
		fr.WriteData(streamID, true, []byte("complete"))
	})
	code, out, errs := getCmd(t, "http://"+goaway+"/")
	if code != 1 || (out != "" && out != "complete") || !strings.Contains(errs, "GOAWAY with PROTOCOL_ERROR") {
		t.Errorf("GOAWAY PROTOCOL_ERROR: exit %d, output %q: %s", code, out, errs)
	}

	// An h2c Upgrade the server ignores, and TLS without h2.
	h1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h1") }))
	defer h1.Close()
	if code, _, errs := getCmd(t, "-u", h1.URL+"/"); code != 1 || !strings.Contains(errs, "not HTTP/2") {
		t.Errorf("ignored Upgrade: exit %d: %s", code, errs)
	}
	h1tls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h1") }))
	h1tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	h1tls.StartTLS()
	defer h1tls.Close()
	if code, _, errs := getCmd(t, "-k", h1tls.URL+"/"); code != 1 || !strings.Contains(errs, "HTTP/2") {
		t.Errorf("TLS without h2: exit %d: %s", code, errs)
	}

	// Usage errors and help.
	if code, out, _ := getCmd(t, "-h"); code != 0 || !strings.HasPrefix(out, "usage: h2kit get") {
		t.Errorf("-h: exit %d: %s", code, out)
	}
	for _, args := range [][]string{{}, {"-w", "31", srv.url}, {"ftp://x/"}} {
		if code, _, errs := getCmd(t, args...); code != 2 || !strings.Contains(errs, "h2kit get -h") {
			t.Errorf("%q: exit %d: %s", args, code, errs)
		}
	}
	if code, _, errs := getCmd(t, "-d", "@/nonexistent/file", srv.url); code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("-d @missing: exit %d: %s", code, errs)
	}
}

// rawH2Server serves h2c with prior knowledge on loopback, answering the
// first request of each connection with respond (golang.org/x/net's
// framer), and returns its address.
func rawH2Server(t *testing.T, respond func(fr *http2.Framer, streamID uint32)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				preface := make([]byte, len(http2.ClientPreface))
				if _, err := io.ReadFull(c, preface); err != nil {
					return
				}
				fr := http2.NewFramer(c, c)
				fr.WriteSettings()
				for {
					f, err := fr.ReadFrame()
					if err != nil {
						return
					}
					switch f := f.(type) {
					case *http2.SettingsFrame:
						if !f.IsAck() {
							fr.WriteSettingsAck()
						}
					case *http2.HeadersFrame:
						respond(fr, f.StreamID)
						time.Sleep(100 * time.Millisecond)
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// writeCertFiles writes a fresh self-signed certificate for localhost and
// 127.0.0.1 and its key as PEM files in dir.
func writeCertFiles(t *testing.T, dir, name string) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	cert, err := selfSignedCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

func TestGetE2ETLSFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeCertFiles(t, dir, "server")
	srv := startServe(t, "--cert", certFile, "--key", keyFile)
	if code, _, errs := getCmd(t, "-n", srv.url+"/"); code != 1 || !strings.Contains(errs, "certificate") {
		t.Errorf("unverified: exit %d: %s", code, errs)
	}
	keylog := filepath.Join(dir, "keys.log")
	if code, out, errs := getCmd(t, "--cacert", certFile, "--keylog", keylog, srv.url+"/bytes/3"); code != 0 || out != string(patternBytes[:3]) {
		t.Errorf("--cacert: exit %d, output %q: %s", code, out, errs)
	}
	if b, _ := os.ReadFile(keylog); !bytes.Contains(b, []byte("CLIENT_TRAFFIC_SECRET_0 ")) && !bytes.Contains(b, []byte("CLIENT_RANDOM ")) {
		t.Errorf("--keylog file:\n%s", b)
	}
	envLog := filepath.Join(dir, "env-keys.log")
	if code, _, errs := getCmdEnv(t, []string{"SSLKEYLOGFILE=" + envLog}, "-n", "-k", srv.url+"/"); code != 0 {
		t.Errorf("SSLKEYLOGFILE: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(envLog); !bytes.Contains(b, []byte("SERVER_HANDSHAKE_TRAFFIC_SECRET ")) && !bytes.Contains(b, []byte("CLIENT_RANDOM ")) {
		t.Errorf("SSLKEYLOGFILE file:\n%s", b)
	}

	// A client certificate, for a server that requires one.
	clientCert, clientKey, cc := writeCertFiles(t, dir, "client")
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no HTTP/2 or no client certificate", http.StatusForbidden)
			return
		}
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		io.WriteString(w, hex.EncodeToString(sum[:]))
	}))
	ts.EnableHTTP2 = true
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes without a certificate fail
	ts.StartTLS()
	defer ts.Close()
	sum := sha256.Sum256(cc.Certificate[0])
	if code, out, errs := getCmd(t, "-k", "--cert", clientCert, "--key", clientKey, ts.URL+"/"); code != 0 || out != hex.EncodeToString(sum[:]) {
		t.Errorf("--cert: exit %d, output %q: %s", code, out, errs)
	}
	if code, _, errs := getCmd(t, "-k", ts.URL+"/"); code != 1 {
		t.Errorf("no client certificate: exit %d: %s", code, errs)
	}
	if code, _, errs := getCmd(t, "-k", "--cert", clientCert, "--key", certFile, ts.URL+"/"); code != 1 || !strings.Contains(errs, "--cert/--key") {
		t.Errorf("mismatched key: exit %d: %s", code, errs)
	}
}

// startNghttpdDir serves dir with nghttpd on a free loopback port, with
// TLS (certFile, keyFile) or without (--no-tls), and the extra options,
// and returns its address.
func startNghttpdDir(t *testing.T, dir, certFile, keyFile string, extra ...string) string {
	t.Helper()
	addr, _ := startNghttpdOut(t, dir, certFile, keyFile, extra...)
	return addr
}

// startNghttpdOut is startNghttpdDir, with nghttpd's output.
func startNghttpdOut(t *testing.T, dir, certFile, keyFile string, extra ...string) (string, *testpeer.Output) {
	t.Helper()
	path := testpeer.Path(t, "nghttpd")
	port := strconv.Itoa(testpeer.FreePort(t))
	args := append([]string{"-d", dir, "--address=127.0.0.1"}, extra...)
	args = append(args, port)
	if certFile == "" {
		args = append([]string{"--no-tls"}, args...)
	} else {
		args = append(args, keyFile, certFile)
	}
	cmd := exec.Command(path, args...)
	logs := new(testpeer.Output)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	testpeer.WaitListening(t, addr, 5*time.Second, logs)
	return addr, logs
}

func TestGetE2ENghttpd(t *testing.T) {
	testpeer.Path(t, "nghttpd")
	h2kitBinary(t) // skip with -short before starting anything
	dir := t.TempDir()
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(i*31 + i>>8)
	}
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	certDir := t.TempDir()
	certFile, keyFile, _ := writeCertFiles(t, certDir, "nghttpd")

	// nghttpd speaks h2c by prior knowledge only (it answers an Upgrade
	// with its SETTINGS, as nghttp -u finds too).
	h2c := startNghttpdDir(t, dir, "", "")
	for _, args := range [][]string{{"http://" + h2c + "/file.bin"}, {"-w", "16", "-W", "16", "http://" + h2c + "/file.bin"}} {
		code, out, errs := getCmd(t, args...)
		if code != 0 || out != string(data) {
			t.Errorf("nghttpd --no-tls %q: exit %d, %d bytes of %d: %s", args, code, len(out), len(data), errs)
		}
	}
	tlsAddr := startNghttpdDir(t, dir, certFile, keyFile)
	code, out, errs := getCmd(t, "-v", "--cacert", certFile, "https://"+tlsAddr+"/file.bin")
	if code != 0 || out != string(data) {
		t.Errorf("nghttpd TLS: exit %d, %d bytes of %d: %s", code, len(out), len(data), errs)
	}
	mustContain(t, "trace", errs, "The negotiated protocol: h2", "recv SETTINGS frame", "; END_STREAM")
	if code, _, errs := getCmd(t, "-k", "--fail", "https://"+tlsAddr+"/missing"); code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("nghttpd 404 with --fail: exit %d: %s", code, errs)
	}

	// nghttpd -V requires a client certificate (it does not verify it).
	clientCert, clientKey, _ := writeCertFiles(t, certDir, "client")
	verifying := startNghttpdDir(t, dir, certFile, keyFile, "-V")
	if code, out, errs := getCmd(t, "-k", "--cert", clientCert, "--key", clientKey, "https://"+verifying+"/file.bin"); code != 0 || out != string(data) {
		t.Errorf("nghttpd -V with --cert: exit %d, %d bytes: %s", code, len(out), errs)
	}
	if code, _, errs := getCmd(t, "-k", "https://"+verifying+"/file.bin"); code != 1 {
		t.Errorf("nghttpd -V without --cert: exit %d: %s", code, errs)
	}
}
