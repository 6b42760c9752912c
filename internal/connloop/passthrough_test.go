package connloop

import (
	"bytes"
	"net"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// closeWatcher wraps a connection and only counts Close calls; with
// passthrough set it says so (Passthrough).
type closeWatcher struct {
	net.Conn
	closes atomic.Int32
}

func (c *closeWatcher) Close() error {
	c.closes.Add(1)
	return c.Conn.Close()
}

type passthroughWatcher struct{ closeWatcher }

func (c *passthroughWatcher) PassthroughConn() net.Conn { return c.Conn }

// TestPassthroughWrapper: a wrapper that declares Passthrough gets the
// raw socket path (reads and writes of the socket itself) and still sees
// Close; one that merely embeds the connection does not get it. Both
// carry a 1 MB echo.
func TestPassthroughWrapper(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(net.Conn) (net.Conn, *closeWatcher)
		raw  bool
	}{
		{"passthrough", func(c net.Conn) (net.Conn, *closeWatcher) {
			w := &passthroughWatcher{closeWatcher{Conn: c}}
			return w, &w.closeWatcher
		}, true},
		{"passthrough twice", func(c net.Conn) (net.Conn, *closeWatcher) {
			w := &passthroughWatcher{closeWatcher{Conn: &passthroughWatcher{closeWatcher{Conn: c}}}}
			return w, &w.closeWatcher
		}, true},
		{"embedding only", func(c net.Conn) (net.Conn, *closeWatcher) {
			w := &closeWatcher{Conn: c}
			return w, w
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := tcpPair(t)
			wc, watcher := tc.wrap(sc)
			now := time.Now()
			srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
			srv.l = New(wc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, Options{})
			if srv.l.raw.ok() != tc.raw {
				t.Fatalf("raw socket path: %v, want %v", srv.l.raw.ok(), tc.raw)
			}
			body := bytes.Repeat([]byte("0123456789"), 100000)
			cl := &client{body: body, done: make(chan struct{}), closed: make(chan error, 1)}
			cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{})
			go srv.l.Run()
			go cl.l.Run()
			cl.l.Wake()
			select {
			case <-cl.done:
			case <-time.After(20 * time.Second):
				t.Fatal("no response")
			}
			if !bytes.Equal(cl.got, body) {
				t.Fatalf("echo: %d bytes, want %d", len(cl.got), len(body))
			}
			srv.l.Close(nil)
			<-srv.l.Done()
			cl.l.Close(nil)
			<-cl.l.Done()
			if n := watcher.closes.Load(); n == 0 {
				t.Fatal("the wrapper's Close was not called")
			}
		})
	}
}
