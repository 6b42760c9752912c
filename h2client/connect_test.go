//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference peer of the tests
package h2client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// Extended CONNECT (RFC 8441) between h2client and h2server, over real
// sockets: the full-duplex stream WebSockets over HTTP/2 run on.

// echoTunnel answers an extended CONNECT with 200 and echoes what it
// reads, flushing each piece, until the client ends its side.
func echoTunnel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "websocket" {
		http.Error(w, "extended CONNECT only", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// openTunnel sends an extended CONNECT to url with a pipe as its body.
func openTunnel(t *testing.T, rt http.RoundTripper, url string) (*http.Response, *io.PipeWriter, error) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodConnect, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		pw.Close()
	}
	return resp, pw, err
}

// TestExtendedConnectEcho: RFC 8441, Section 4 and 5, over TLS and h2c.
// RoundTrip returns on the 200 while the request body (an io.Pipe) is
// still open; many small messages go back and forth; then 3 MiB each
// way at once, far beyond the initial windows (the server's 1 MiB, the
// client's 256 KiB), under flow control both ways; closing the pipe is
// END_STREAM, the server's handler returns, and the response body ends.
func TestExtendedConnectEcho(t *testing.T) {
	for _, h2c := range []bool{false, true} {
		t.Run(map[bool]string{false: "tls", true: "h2c"}[h2c], func(t *testing.T) {
			srv := &h2server.Server{EnableConnectProtocol: true}
			var base string
			if h2c {
				base = startH2ServerH2C(t, http.HandlerFunc(echoTunnel), srv)
			} else {
				base = startH2Server(t, http.HandlerFunc(echoTunnel), srv)
			}
			tr := newTransport(t)
			tr.AllowHTTP = true
			resp, pw, err := openTunnel(t, tr, base+"/ws")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.ContentLength != -1 {
				t.Fatalf("response %s %s, content-length %d", resp.Status, resp.Proto, resp.ContentLength)
			}
			buf := make([]byte, 256)
			for i := range 200 {
				msg := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i%200))
				if _, err := pw.Write(msg); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(resp.Body, buf[:len(msg)]); err != nil || !bytes.Equal(buf[:len(msg)], msg) {
					t.Fatalf("message %d: %v %q", i, err, buf[:len(msg)])
				}
			}
			const big = 3 << 20
			werr := make(chan error, 1)
			go func() {
				_, err := io.Copy(pw, &patternReader{n: big})
				werr <- err
			}()
			if err := checkPattern(io.LimitReader(resp.Body, big), big); err != nil {
				t.Fatal(err)
			}
			if err := <-werr; err != nil {
				t.Fatal(err)
			}
			pw.Close()
			if n, err := io.Copy(io.Discard, resp.Body); n != 0 || err != nil {
				t.Fatalf("after END_STREAM: %d bytes, %v", n, err)
			}
		})
	}
}

// TestExtendedConnectDisabled: RFC 8441, Section 3 — a server that did
// not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (h2server by default),
// one reached over HTTP/1.1, or an http URL without AllowHTTP: the
// request fails at once with ErrExtendedConnectDisabled, nothing sent.
func TestExtendedConnectDisabled(t *testing.T) {
	var handled atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handled.Add(1) })
	for _, tc := range []struct {
		name string
		base string
		tr   *Transport
	}{
		{"h2server without the setting", startH2Server(t, h, nil), newTransport(t)},
		{"h2c without the setting", startH2ServerH2C(t, h, nil), &Transport{AllowHTTP: true}},
		{"HTTP/1.1 over TLS", startGoH1TLS(t, h), newTransport(t)},
		{"http without AllowHTTP", startH2ServerH2C(t, h, &h2server.Server{EnableConnectProtocol: true}), &Transport{UpgradeH2C: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.tr.CloseIdleConnections()
			start := time.Now()
			resp, _, err := openTunnel(t, tc.tr, tc.base+"/ws")
			if err == nil {
				resp.Body.Close()
				t.Fatalf("response %s", resp.Status)
			}
			if !errors.Is(err, ErrExtendedConnectDisabled) {
				t.Fatalf("err %v, want ErrExtendedConnectDisabled", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
			t.Log(err)
		})
	}
	if n := handled.Load(); n != 0 {
		t.Fatalf("%d requests reached a handler", n)
	}
}

// TestExtendedConnectWaitsForSettings: RFC 8441, Section 3 — on a new
// connection the request waits for the server's SETTINGS; from a server
// that never sends them it fails once SettingsTimeout passes, with the
// connection's error (ErrServerSilent), not retried on new connections.
func TestExtendedConnectWaitsForSettings(t *testing.T) {
	s := startSilentServer(t)
	tr := &Transport{AllowHTTP: true, SettingsTimeout: 300 * time.Millisecond}
	defer tr.CloseIdleConnections()
	start := time.Now()
	_, _, err := openTunnel(t, tr, "http://"+s.addr()+"/ws")
	if !errors.Is(err, ErrServerSilent) {
		t.Fatalf("err %v, want ErrServerSilent", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("failed after %v, want about the 300ms SettingsTimeout", d)
	}
}

// TestExtendedConnectResets: RFC 8441, Section 5 — the abortive close is
// RST_STREAM CANCEL. Closing resp.Body mid-stream resets the stream: the
// handler's Read fails and its context is cancelled. Cancelling the
// request's context does the same. A handler that returns mid-stream
// ends the response body (io.EOF) without breaking the connection.
func TestExtendedConnectResets(t *testing.T) {
	handlerErr := make(chan error, 4)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		if r.URL.Path == "/return" {
			io.WriteString(w, "bye")
			return
		}
		buf := make([]byte, 1024)
		var err error
		for err == nil {
			_, err = r.Body.Read(buf)
		}
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			err = errors.New("context not cancelled")
		}
		handlerErr <- err
	})
	base := startH2Server(t, h, &h2server.Server{EnableConnectProtocol: true})
	tr := newTransport(t)

	pr, pw := io.Pipe()
	body := &closeSignal{PipeReader: pr, closed: make(chan struct{})}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodConnect, base+"/ws", body)
	req.Header.Set(":protocol", "websocket")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("half a mess"))
	resp.Body.Close()
	if err := <-handlerErr; err == nil || !strings.Contains(err.Error(), "CANCEL") {
		t.Fatalf("handler after Body.Close: %v", err)
	}
	// The request body is closed, though nothing was written to the pipe
	// since: the body writer goroutine, blocked in its Read, is released
	// (as net/http's transport closes a cancelled request's body), and
	// writes fail instead of blocking.
	select {
	case <-body.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the request body was not closed after the reset")
	}
	if _, err := pw.Write([]byte("more")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after the reset: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	pr, pw2 := io.Pipe()
	req, _ = http.NewRequestWithContext(ctx, http.MethodConnect, base+"/ws", pr)
	req.Header.Set(":protocol", "websocket")
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-handlerErr; err == nil || !strings.Contains(err.Error(), "CANCEL") {
		t.Fatalf("handler after cancel: %v", err)
	}
	if _, err := resp.Body.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("response body after cancel: %v", err)
	}
	pw2.Close()

	resp, pw, err = openTunnel(t, tr, base+"/return")
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	if b, err := io.ReadAll(resp.Body); string(b) != "bye" || err != nil {
		t.Fatalf("body %q, %v", b, err)
	}
	// The connection is fine: one more tunnel on it.
	resp, pw, err = openTunnel(t, tr, base+"/return")
	if err != nil {
		t.Fatal(err)
	}
	pw.Close()
	resp.Body.Close()
}

// TestExtendedConnectNeverReads: memory stays bounded when one side
// stops reading: flow control stops the other side's writes (RFC 9113,
// Section 5.2). The server writes to a client that never reads its
// response body, and the client writes to a server that never reads the
// request body; each writer blocks after a bounded amount (windows plus
// queues), and a reset then unblocks it.
func TestExtendedConnectNeverReads(t *testing.T) {
	var written atomic.Int64
	handlerDone := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		if r.URL.Path == "/sink" {
			<-r.Context().Done() // never reads
			handlerDone <- nil
			return
		}
		chunk := make([]byte, 64<<10)
		for {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				handlerDone <- err
				return
			}
		}
	})
	base := startH2Server(t, h, &h2server.Server{EnableConnectProtocol: true})
	tr := newTransport(t)

	const bound = 4 << 20
	settle := func(n *atomic.Int64) int64 {
		last := int64(-1)
		for i := 0; i < 100; i++ {
			time.Sleep(50 * time.Millisecond)
			v := n.Load()
			if v == last || v > bound {
				return v
			}
			last = v
		}
		return n.Load()
	}
	resp, pw, err := openTunnel(t, tr, base+"/source")
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	if n := settle(&written); n > bound {
		t.Fatalf("the server wrote %d bytes to a client that reads nothing", n)
	} else {
		t.Logf("server writes blocked after %d bytes", n)
	}
	resp.Body.Close()
	if err := <-handlerDone; err == nil {
		t.Fatal("the handler's Write did not fail after the reset")
	}

	resp, pw, err = openTunnel(t, tr, base+"/sink")
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	writeDone := make(chan error, 1)
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			n, err := pw.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				writeDone <- err
				return
			}
		}
	}()
	if n := settle(&sent); n > bound {
		t.Fatalf("the client wrote %d bytes to a server that reads nothing", n)
	} else {
		t.Logf("client writes blocked after %d bytes", n)
	}
	resp.Body.Close()
	select {
	case <-writeDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the request body writer is still blocked after the reset")
	}
	<-handlerDone
}

// TestExtendedConnectXNetClient: golang.org/x/net's client, as a
// reference peer, opens an extended CONNECT to h2server (it waits for
// the setting as RFC 8441, Section 3 asks) and echoes through it.
func TestExtendedConnectXNetClient(t *testing.T) {
	base := startH2Server(t, http.HandlerFunc(echoTunnel), &h2server.Server{EnableConnectProtocol: true})
	xt := &http2.Transport{TLSClientConfig: clientTLSConfig(t)}
	defer xt.CloseIdleConnections()
	resp, pw, err := openTunnel(t, xt, base+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	defer pw.Close()
	for i := range 20 {
		msg := []byte(strings.Repeat("x", i+1))
		pw.Write(msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(resp.Body, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %v %q", i, err, got)
		}
	}
}

// closeSignal is a pipe reader that says when it is closed.
type closeSignal struct {
	*io.PipeReader
	once   sync.Once
	closed chan struct{}
}

func (c *closeSignal) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.PipeReader.Close()
}

// TestExtendedConnectXNetServer: golang.org/x/net's server as the
// reference peer. By default it does not advertise
// SETTINGS_ENABLE_CONNECT_PROTOCOL (golang/go#71128), and h2client
// refuses the request with ErrExtendedConnectDisabled; with
// GODEBUG=http2xconnect=1 (read when x/net starts, so the server runs in
// a child process: this test binary again, see xnetXConnectServer) it
// does, and the echo goes through.
func TestExtendedConnectXNetServer(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		base := startXnetH2C(t, http.HandlerFunc(echoTunnel))
		tr := &Transport{AllowHTTP: true}
		defer tr.CloseIdleConnections()
		if _, _, err := openTunnel(t, tr, base+"/ws"); !errors.Is(err, ErrExtendedConnectDisabled) {
			t.Fatalf("err %v, want ErrExtendedConnectDisabled", err)
		}
	})
	t.Run("http2xconnect=1", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestXNetXConnectServerChild$")
		cmd.Env = append(os.Environ(), "GODEBUG=http2xconnect=1", "H2KIT_XCONNECT_CHILD=1")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stdin.Close()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}()
		addr := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
					addr <- a
				}
			}
		}()
		var base string
		select {
		case a := <-addr:
			base = "http://" + a
		case <-time.After(10 * time.Second):
			t.Fatal("the x/net server did not start")
		}
		tr := &Transport{AllowHTTP: true}
		defer tr.CloseIdleConnections()
		resp, pw, err := openTunnel(t, tr, base+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for i := range 20 {
			msg := []byte(strings.Repeat("y", 100*i+1))
			pw.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(resp.Body, got); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		pw.Close()
		if n, err := io.Copy(io.Discard, resp.Body); n != 0 || err != nil {
			t.Fatalf("after END_STREAM: %d bytes, %v", n, err)
		}
	})
}

// TestXNetXConnectServerChild is the child process of
// TestExtendedConnectXNetServer: an x/net h2c server with extended
// CONNECT, serving echoTunnel until its stdin closes. It does nothing in
// a normal test run.
func TestXNetXConnectServerChild(t *testing.T) {
	if os.Getenv("H2KIT_XCONNECT_CHILD") != "1" {
		t.Skip("the child process of TestExtendedConnectXNetServer")
	}
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h2c.NewHandler(http.HandlerFunc(echoTunnel), &http2.Server{})}
	go hs.Serve(l)
	defer hs.Close()
	fmt.Println("listening " + l.Addr().String())
	io.Copy(io.Discard, os.Stdin)
}
