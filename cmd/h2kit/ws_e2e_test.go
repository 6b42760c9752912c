package main

// End-to-end tests of the WebSockets of the tools: `h2kit get --ws`
// against `h2kit serve`'s /ws (both built binaries) over TLS and h2c,
// the HTTP/1.1 Upgrade path of /ws with the library's own client, and
// get's errors for a server without extended CONNECT, a refused CONNECT
// and command lines --ws does not take.

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/h2kit/h2kit/h2client"
)

// getWS runs `h2kit get --ws` with stdin as its standard input.
func getWS(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h2kitBinary(t), append([]string{"get", "--ws"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("h2kit get --ws %q timed out\nstdout:\n%s\nstderr:\n%s", args, out.String(), errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// wsCarrierLine matches serve's first /ws message over HTTP/2.
var wsCarrierLine = regexp.MustCompile(`^HTTP/2 \(RFC 8441\) on stream [1-9][0-9]*, (TLS|cleartext)$`)

// get --ws against serve's /ws, over TLS (wss:// and https://) and h2c
// (ws://): the carrier line (RFC 8441 over HTTP/2), then each line of
// input echoed in order, also a long one (a 16-bit payload length, RFC
// 6455 Section 5.2, over several DATA frames), exit status 0 after the
// close handshake; the server's access log has the CONNECT answered 200.
func TestWSE2EGetServe(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 2048) // 32 KiB: several DATA frames
	lines := []string{"hello", "", "second line, with spaces", long, "é ünïcödé"}
	input := strings.Join(lines, "\n") + "\n"
	for _, tc := range []struct {
		name, security string
		serve          []string
		url            func(base string) string
	}{
		{"tls-wss", "TLS", nil, func(b string) string { return "wss://" + strings.TrimPrefix(b, "https://") + "/ws" }},
		{"tls-https", "TLS", nil, func(b string) string { return b + "/ws" }},
		{"h2c-ws", "cleartext", []string{"--h2c"}, func(b string) string { return "ws://" + strings.TrimPrefix(b, "http://") + "/ws" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, tc.serve...)
			code, out, errs := getWS(t, input, "-k", tc.url(srv.url))
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(got) != len(lines)+1 {
				t.Fatalf("%d lines of output, want %d (carrier + %d echoes):\n%.300s", len(got), len(lines)+1, len(lines), out)
			}
			if m := wsCarrierLine.FindStringSubmatch(got[0]); m == nil || m[1] != tc.security {
				t.Errorf("first message %q: want the HTTP/2 carrier line with %s", got[0], tc.security)
			}
			for i, l := range lines {
				if got[i+1] != l {
					t.Errorf("echo %d = %.80q, want %.80q", i, got[i+1], l)
				}
			}
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			srv.waitOutput(t, "method=CONNECT path=/ws status=200")
		})
	}
}

// get --ws -v shows the extended CONNECT's HEADERS (RFC 8441, Section 4:
// :method CONNECT, :protocol websocket, :scheme, :path, :authority), the
// server's SETTINGS_ENABLE_CONNECT_PROTOCOL, the 200, and the DATA frames
// that carry the WebSocket frames both ways.
func TestWSE2EGetVerbose(t *testing.T) {
	srv := startServe(t, "--h2c")
	code, out, errs := getWS(t, "ping\n", "-v", srv.url+"/ws")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	mustContain(t, "-v trace", errs,
		"[SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1]",
		"send HEADERS frame",
		":method: CONNECT",
		":protocol: websocket",
		":scheme: http",
		":path: /ws",
		"sec-websocket-version: 13",
		"recv (stream_id=1) :status: 200",
		"send DATA frame",
		"recv DATA frame",
	)
	for _, bad := range []string{"sec-websocket-key", "upgrade:", "connection:"} {
		if strings.Contains(strings.ToLower(errs), bad) {
			t.Errorf("the CONNECT carries %q, which RFC 8441 (Section 5) and RFC 9113 (Section 8.2.2) leave out:\n%s", bad, errs)
		}
	}
	mustContain(t, "output", out, "ping\n")
}

// /ws also answers the HTTP/1.1 handshake (RFC 6455, Section 4), on the
// same port: over TLS with ALPN http/1.1 and over cleartext, with the
// library's own client on net/http's HTTP/1.1 transport.
func TestWSE2EServeHTTP1Upgrade(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		serve      []string
	}{
		{"tls", "HTTP/1.1 Upgrade, TLS", nil},
		{"cleartext", "HTTP/1.1 Upgrade, cleartext", []string{"--h2c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, tc.serve...)
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}}}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, srv.url+"/ws", &websocket.DialOptions{HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			c.SetReadLimit(1 << 20)
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.ProtoMajor != 1 {
				t.Errorf("handshake answer %s %s, want HTTP/1.1 101", resp.Proto, resp.Status)
			}
			_, first, err := c.Read(ctx)
			if err != nil || string(first) != tc.want {
				t.Fatalf("first message %q, %v; want %q", first, err, tc.want)
			}
			for _, msg := range []string{"one", strings.Repeat("x", 60000)} {
				if err := c.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				typ, got, err := c.Read(ctx)
				if err != nil || typ != websocket.MessageBinary || string(got) != msg {
					t.Fatalf("echo of %d bytes: %v %d bytes, %v", len(msg), typ, len(got), err)
				}
			}
			if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Errorf("close: %v", err)
			}
			// The access log gives the handshake's status, 101.
			srv.waitOutput(t, "method=GET path=/ws status=101")
		})
	}
}

// A message above serve's limit (wsMaxMessage) closes the WebSocket with
// 1009 (message too big, RFC 6455 Section 7.4.1) rather than growing a
// buffer, and get --ws says so (exit 1).
func TestWSE2EMessageTooBig(t *testing.T) {
	srv := startServe(t, "--h2c")
	code, out, errs := getWS(t, strings.Repeat("y", wsMaxMessage+1)+"\n", srv.url+"/ws")
	if code != 1 || !strings.Contains(errs, "closed the WebSocket with 1009 (MessageTooBig)") {
		t.Errorf("exit %d\nstdout:\n%.200s\nstderr:\n%s", code, out, errs)
	}
}

// get --ws's errors: a server whose SETTINGS did not enable extended
// CONNECT (serve --root does not: no /ws there), one that answers the
// CONNECT with another status than 2xx, a server that is not there, and
// command lines --ws does not take (exit 2).
func TestWSE2EGetErrors(t *testing.T) {
	root := startServe(t, "--h2c", t.TempDir())
	code, out, errs := getWS(t, "x\n", root.url+"/ws")
	if code != 1 || !strings.Contains(errs, "did not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1") || out != "" {
		t.Errorf("no extended CONNECT: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	demo := startServe(t, "--h2c")
	code, _, errs = getWS(t, "x\n", demo.url+"/headers.missing")
	if code != 1 || !strings.Contains(errs, "answered the WebSocket's extended CONNECT with 405") {
		t.Errorf("refused CONNECT: exit %d\nstderr:\n%s", code, errs)
	}

	code, _, errs = getWS(t, "", "--connect-timeout", "2s", "ws://127.0.0.1:1/ws")
	if code != 1 || !strings.Contains(errs, "refused") {
		t.Errorf("no server: exit %d\nstderr:\n%s", code, errs)
	}

	for _, args := range [][]string{
		{demo.url + "/ws", demo.url + "/ws"},
		{"-d", "body", demo.url + "/ws"},
		{"-X", "GET", demo.url + "/ws"},
		{"-u", demo.url + "/ws"},
		{"-H", ":method: GET", demo.url + "/ws"},
		{"ftp://127.0.0.1/ws"},
	} {
		if code, _, errs := getWS(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, code, errs)
		}
	}
}

// SIGTERM while WebSockets are open, one over HTTP/2 and one over
// HTTP/1.1: serve closes both with 1001 (going away, RFC 6455 Section
// 7.4.1) instead of waiting for them, and exits 0 well within its
// shutdown timeout.
func TestWSE2EServeShutdown(t *testing.T) {
	srv := startServe(t, "--shutdown-timeout", "20s")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr := &h2client.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}}}
	var conns []*websocket.Conn
	for _, hc := range []*http.Client{{Transport: &wsH2Transport{rt: tr}}, h1} {
		c, _, err := websocket.Dial(ctx, srv.url+"/ws", &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if _, first, err := c.Read(ctx); err != nil {
			t.Fatalf("carrier line: %v", err)
		} else {
			t.Logf("open: %s", first)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		_, _, err := c.Read(ctx)
		if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
			t.Errorf("WebSocket %d: read %v, want a close with 1001", i, err)
		}
	}
	select {
	case <-srv.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not exit\n%s", srv.out)
	}
	if srv.status != 0 || time.Since(start) > 10*time.Second {
		t.Errorf("serve exited with %d after %v\n%s", srv.status, time.Since(start), srv.out)
	}
}
