package main

// Bad input at serve's /ws, in process: a WebSocket stream reset in the
// middle of a message, and a client that sends without ever reading. The
// echo runs on h2server (h2c, loopback) as in serve, the client is
// h2client with the raw extended CONNECT (its own bytes on the stream, so
// that it can stop anywhere).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// wsTestServer serves e on h2c with prior knowledge on a loopback port,
// extended CONNECT enabled, with the given stream receive window (0:
// h2server's default). ended receives one value each time a /ws handler
// returns. The server is closed at the end of the test.
func wsTestServer(t *testing.T, e *wsEcho, window uint32) (url string, ended <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 16)
	srv := &h2server.Server{
		EnableConnectProtocol: true,
		InitialWindowSize:     window,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { done <- struct{}{} }()
			e.ServeHTTP(w, r)
		}),
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String() + "/ws", done
}

// wsClientFrame is one masked client frame (RFC 6455, Section 5.2) with
// the given opcode whose header announces n payload bytes; payload may be
// shorter (a frame cut short).
func wsClientFrame(opcode byte, n int, payload []byte) []byte {
	b := []byte{0x80 | opcode}
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// wsRawOpen sends an extended CONNECT for url on tr and returns the
// response (200 checked) and the writer of the stream's DATA.
func wsRawOpen(t *testing.T, ctx context.Context, tr *h2client.Transport, url string) (*http.Response, *io.PipeWriter) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodConnect, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("extended CONNECT answered %s", resp.Status)
	}
	return resp, pw
}

// waitEnded waits for a /ws handler to return.
func waitEnded(t *testing.T, ended <-chan struct{}, within time.Duration, what string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(within):
		t.Fatalf("the /ws handler did not return within %v after %s", within, what)
	}
}

// A client that resets its WebSocket stream (RST_STREAM CANCEL, RFC 9113
// Section 8.1) in the middle of a message, after the frame header and
// part of the payload: the echo's read fails at once, the handler returns
// and logs how the WebSocket ended, and the connection carries on: a new
// WebSocket on it echoes.
func TestWSResetMidMessage(t *testing.T) {
	var logBuf testpeer.Output
	e := newWSEcho(nil, slog.New(slog.NewTextHandler(&logBuf, nil)))
	url, ended := wsTestServer(t, e, 0)
	tr := &h2client.Transport{AllowHTTP: true}
	defer tr.CloseIdleConnections()

	ctx, cancel := context.WithCancel(context.Background())
	resp, pw := wsRawOpen(t, ctx, tr, url)
	var carrier [64]byte
	n, err := resp.Body.Read(carrier[:])
	if err != nil || !bytes.Contains(carrier[:n], []byte("HTTP/2 (RFC 8441) on stream 1")) {
		t.Fatalf("first frame %q, %v", carrier[:n], err)
	}
	// A text frame announcing 1000 bytes, of which 10 are sent.
	if _, err := pw.Write(wsClientFrame(0x1, 1000, []byte("0123456789"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server start reading the payload
	cancel()                          // RST_STREAM(CANCEL)
	waitEnded(t, ended, 5*time.Second, "the reset")
	waitLog := time.Now().Add(2 * time.Second)
	for !strings.Contains(logBuf.String(), "ws: WebSocket ended without a close handshake") && time.Now().Before(waitLog) {
		time.Sleep(10 * time.Millisecond)
	}
	if log := logBuf.String(); !strings.Contains(log, "without a close handshake") || !strings.Contains(log, "CANCEL") {
		t.Errorf("the server's log does not say the client cancelled the stream:\n%s", log)
	}

	// The same connection (one per origin) still serves WebSockets.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	resp2, pw2 := wsRawOpen(t, ctx2, tr, url)
	if _, err := pw2.Write(wsClientFrame(0x1, 5, []byte("again"))); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 256)
	for !bytes.HasSuffix(got, []byte("again")) {
		n, err := resp2.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("after the reset: read %q, %v", got, err)
		}
	}
	if !bytes.Contains(got, []byte("on stream 3")) {
		t.Errorf("the second WebSocket did not go on stream 3 of the same connection: %q", got)
	}
	pw2.Close()
	resp2.Body.Close()
}

// A client that sends messages and never reads the echoes: flow control
// (RFC 9113, Section 5.2) stops it once the windows are full, so that what
// it got to send, and what the server holds for it, stays within the
// windows and one message; after the write timeout the server gives up on
// the stream (reset) and its handler returns.
func TestWSClientNeverReads(t *testing.T) {
	const window = 64 << 10
	e := newWSEcho(nil, nil)
	e.writeTimeout = 500 * time.Millisecond
	url, ended := wsTestServer(t, e, window)
	tr := &h2client.Transport{AllowHTTP: true, InitialWindowSize: window, ConnectionWindow: window, DisableAutoWindow: true}
	defer tr.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, pw := wsRawOpen(t, ctx, tr, url)
	defer resp.Body.Close()

	msg := wsClientFrame(0x2, 16<<10, bytes.Repeat([]byte{'z'}, 16<<10))
	const attempt = 64 << 20 // what the client tries to send: 64 MiB
	var sent atomic.Int64
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for sent.Load() < attempt {
			n, err := pw.Write(msg)
			sent.Add(int64(n))
			if err != nil {
				writeErr = err
				return
			}
		}
	})
	waitEnded(t, ended, 10*time.Second, "the client stopped reading")
	// What got through before everything stalled: the server's stream
	// window, h2client's and h2server's send queues, one message held by
	// the echo, the kernel's socket buffers. 64 MiB would mean no bound.
	const bound = 8 << 20
	if s := sent.Load(); s > bound || s >= attempt {
		t.Errorf("the client got %d bytes out without reading, want at most %d", s, bound)
	}
	// The stream is over: the client's blocked write fails, it does not
	// hang.
	writerDone := make(chan struct{})
	go func() { wg.Wait(); close(writerDone) }()
	select {
	case <-writerDone:
		if writeErr == nil {
			t.Errorf("the client's writes ended without an error (%d bytes sent)", sent.Load())
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the client's write still blocked 5s after the server ended the stream")
		pw.CloseWithError(io.ErrClosedPipe)
		<-writerDone
	}
	t.Logf("sent %d bytes before flow control stopped the client", sent.Load())
}

// The shutdown close comes from another goroutine than the echo's, which
// is blocked reading: the close frame is written while the read waits
// (run with -race), the client gets 1001, and the handler returns.
func TestWSShutdownWhileReading(t *testing.T) {
	stopping := make(chan struct{})
	url, ended := wsTestServer(t, newWSEcho(stopping, nil), 0)
	tr := &h2client.Transport{AllowHTTP: true}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &wsH2Transport{rt: tr}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	close(stopping)
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("read %v, want a close with 1001", err)
	}
	waitEnded(t, ended, 5*time.Second, "the shutdown close")
}

// Requests to /ws over HTTP/2 that are not a WebSocket handshake get a
// 400 that says why, and no stream is kept open: a GET (Upgrade cannot
// be carried by HTTP/2, RFC 9113 Section 8.2.2; RFC 8441 Section 4
// replaces it with CONNECT), an extended CONNECT for another protocol,
// and one without Sec-WebSocket-Version (RFC 6455, Section 4.1, kept by
// RFC 8441 Section 5).
func TestWSBadHandshakeHTTP2(t *testing.T) {
	url, ended := wsTestServer(t, newWSEcho(nil, nil), 0)
	tr := &h2client.Transport{AllowHTTP: true}
	defer tr.CloseIdleConnections()
	for _, tc := range []struct {
		name, method, protocol, version, want string
	}{
		{"GET", http.MethodGet, "", "13", ":protocol websocket"},
		{"other protocol", http.MethodConnect, "chat", "13", ":protocol websocket"},
		{"no version", http.MethodConnect, "websocket", "", "only 13 is supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pr, pw := io.Pipe()
			defer pw.Close()
			req, err := http.NewRequestWithContext(ctx, tc.method, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.method == http.MethodConnect {
				req.Body = pr
				req.Header.Set(":protocol", tc.protocol)
			}
			if tc.version != "" {
				req.Header.Set("Sec-WebSocket-Version", tc.version)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
				t.Errorf("answer %s %q, want 400 naming %s", resp.Status, body, tc.want)
			}
			waitEnded(t, ended, 5*time.Second, "the refusal")
		})
	}
}
