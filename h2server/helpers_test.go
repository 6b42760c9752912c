//lint:file-ignore SA1019 golang.org/x/net/http2 is the reference peer of the tests (deprecated in favour of net/http, whose own client is tested too)

package h2server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
	"github.com/h2kit/h2kit/internal/testpki"
	"golang.org/x/net/http2"
)

// selfSigned returns the tests' certificate for 127.0.0.1 and localhost.
func selfSigned(testing.TB) tls.Certificate { return testpki.Localhost().TLS }

// startTLS serves h over TLS (HTTP/2 via ConfigureServer, HTTP/1.1
// fallback) and returns the address.
func startTLS(t testing.TB, h http.Handler, s *Server) string {
	t.Helper()
	if s == nil {
		s = new(Server)
	}
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}},
		ErrorLog: nil}
	if err := ConfigureServer(hs, s); err != nil {
		t.Fatal(err)
	}
	go hs.ServeTLS(l, "", "")
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return l.Addr().String()
}

// startH2C serves h on a cleartext port with HTTP/1.1, h2c Upgrade and
// prior knowledge.
func startH2C(t testing.TB, h http.Handler, s *Server) string {
	t.Helper()
	if s == nil {
		s = new(Server)
	}
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: h}
	go s.ServeH2C(l, hs)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return l.Addr().String()
}

// clientTLSConfig trusts selfSigned's certificate and offers h2.
func clientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: testpki.Localhost().Pool(), NextProtos: []string{"h2"}}
}

// xnetTLS is golang.org/x/net's HTTP/2 client over TLS.
func xnetTLS(t testing.TB) *http.Client {
	tr := &http2.Transport{TLSClientConfig: clientTLSConfig()}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// xnetH2C is golang.org/x/net's HTTP/2 client with prior knowledge.
func xnetH2C(t testing.TB) *http.Client {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// stdTLS is net/http's own Transport, HTTP/2 over TLS.
func stdTLS(t testing.TB) *http.Client {
	cfg := clientTLSConfig()
	cfg.NextProtos = nil
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// stdH2C is net/http's own Transport speaking HTTP/2 with prior knowledge.
func stdH2C(t testing.TB) *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// testLogger captures what the server logs.
type testLogger struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLogger) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (l *testLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type lockedWriter struct{ l *testLogger }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(p)
}

// rawClient drives an h2kit engine in the client role over a socket,
// synchronously: for tests that need what net/http clients do not do
// (push, Upgrade, 100-continue by hand).
type rawClient struct {
	t   testing.TB
	nc  net.Conn
	br  io.Reader
	eng *h2kit.Conn
	out []byte
	in  []byte
}

func newRawClient(t testing.TB, nc net.Conn, cfg h2kit.Config) *rawClient {
	cfg.Role = h2kit.Client
	c := &rawClient{t: t, nc: nc, br: nc, eng: h2kit.NewConn(cfg, time.Now()), in: make([]byte, 64<<10)}
	t.Cleanup(func() { nc.Close() })
	return c
}

func (c *rawClient) flush() {
	c.t.Helper()
	for c.eng.WantWrite() {
		c.out = c.eng.AppendOutgoing(c.out[:0])
		if _, err := c.nc.Write(c.out); err != nil {
			c.t.Fatalf("write: %v", err)
		}
	}
}

// rawEvent is a copy of an engine event.
type rawEvent struct {
	kind   string // "response", "info", "data", "trailers", "reset", "push", "goaway", "terminated"
	id     uint32
	id2    uint32
	fields []hpack.Field
	data   []byte
	end    bool
	code   frame.ErrCode
}

func copyFields(fs []hpack.Field) []hpack.Field {
	out := make([]hpack.Field, len(fs))
	for i, f := range fs {
		out[i] = hpack.Field{Name: strings.Clone(f.Name), Value: strings.Clone(f.Value)}
	}
	return out
}

// next returns the next interesting event, reading as needed.
func (c *rawClient) next() rawEvent {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.flush()
		for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.ResponseReceived:
				return rawEvent{kind: "response", id: e.StreamID, fields: copyFields(e.Fields), end: e.EndStream}
			case *h2kit.InformationalResponseReceived:
				return rawEvent{kind: "info", id: e.StreamID, fields: copyFields(e.Fields)}
			case *h2kit.DataReceived:
				c.eng.ConsumeData(e.StreamID, len(e.Data))
				return rawEvent{kind: "data", id: e.StreamID, data: bytes.Clone(e.Data), end: e.EndStream}
			case *h2kit.TrailersReceived:
				return rawEvent{kind: "trailers", id: e.StreamID, fields: copyFields(e.Fields), end: true}
			case *h2kit.StreamReset:
				return rawEvent{kind: "reset", id: e.StreamID, code: e.Code}
			case *h2kit.PushPromiseReceived:
				return rawEvent{kind: "push", id: e.StreamID, id2: e.PromisedStreamID, fields: copyFields(e.Fields)}
			case *h2kit.GoAwayReceived:
				return rawEvent{kind: "goaway", id2: e.LastStreamID, code: e.Code}
			case *h2kit.ConnectionTerminated:
				return rawEvent{kind: "terminated"}
			}
		}
		c.flush()
		c.nc.SetReadDeadline(deadline)
		n, err := c.br.Read(c.in)
		if n > 0 {
			c.eng.Receive(c.in[:n], time.Now())
			continue
		}
		if err != nil {
			return rawEvent{kind: "eof"}
		}
	}
}

// response reads events until stream id ends and returns its status,
// header fields and body.
func (c *rawClient) response(id uint32) (fields []hpack.Field, body []byte) {
	c.t.Helper()
	for {
		ev := c.next()
		if ev.id != id && ev.kind != "eof" && ev.kind != "terminated" {
			continue
		}
		switch ev.kind {
		case "response":
			fields = ev.fields
		case "data":
			body = append(body, ev.data...)
		case "reset", "eof", "terminated", "goaway":
			c.t.Fatalf("stream %d: %s %v", id, ev.kind, ev.code)
		}
		if ev.end {
			return fields, body
		}
	}
}

func field(fs []hpack.Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func reqFields(method, authority, path string, extra ...string) []hpack.Field {
	fs := []hpack.Field{{Name: ":method", Value: method}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: authority}, {Name: ":path", Value: path}}
	for i := 0; i+1 < len(extra); i += 2 {
		fs = append(fs, hpack.Field{Name: extra[i], Value: extra[i+1]})
	}
	return fs
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readHTTP1Head reads an HTTP/1.1 response head; the reader keeps what
// follows.
func readHTTP1Head(t testing.TB, br *bufio.Reader) string {
	t.Helper()
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			t.Fatalf("reading response head: %v (got %q)", err, sb.String())
		}
		if line == "\r\n" {
			return sb.String()
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func errDeadline() error { return os.ErrDeadlineExceeded }

// pumpFor reads and handles whatever arrives during d, keeping events
// queued (for SendWindow and state checks).
func (c *rawClient) pumpFor(d time.Duration) {
	c.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		c.flush()
		c.nc.SetReadDeadline(end)
		n, err := c.br.Read(c.in)
		if n > 0 {
			c.eng.Receive(c.in[:n], time.Now())
			for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
				if d, ok := ev.(*h2kit.DataReceived); ok {
					c.eng.ConsumeData(d.StreamID, len(d.Data))
				}
			}
		}
		if err != nil {
			return
		}
	}
}
