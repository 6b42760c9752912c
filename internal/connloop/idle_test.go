package connloop

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// pingClient is a client that, once its request is done, sends PINGs
// when woken.
type pingClient struct {
	*client
	acked chan struct{}
}

func (c *pingClient) Wake() {
	if c.started {
		c.l.Engine().Ping()
		return
	}
	c.client.Wake()
}

func (c *pingClient) Event(ev h2kit.Event) {
	if _, ok := ev.(*h2kit.PingAcked); ok {
		c.acked <- struct{}{}
		return
	}
	c.client.Event(ev)
}

// writers counts the writer goroutines (of every Loop).
func writers() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "connloop.(*Loop).writeOne")
}

// TestIdleFootprint pins what an idle connection holds: after a transfer
// large enough that reads fill large buffers and writes are large
// batches, and a quiet moment (keepWriteFor at most, for the large write
// buffer of a busy connection), no pooled buffer (a small read buffer
// where the reader cannot wait for readability without one) and no writer
// goroutine.
func TestIdleFootprint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reader bool          // Options.Reader set: no raw reads
		keep   time.Duration // keepWrite, short: keepWriteFor is long for a test
		want   int64
	}{
		{"raw", false, 100 * time.Millisecond, 0},
		{"reader", true, 20 * time.Millisecond, smallReadSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := tcpPair(t)
			now := time.Now()
			srv := &echoServer{bodies: map[uint32][]byte{}, closed: make(chan error, 1)}
			opts := Options{}
			if tc.reader {
				opts.Reader = sc
			}
			srv.l = New(sc, h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now), srv, opts)
			if srv.l.raw.ok() == tc.reader {
				t.Fatalf("raw reads: %v", srv.l.raw.ok())
			}
			body := bytes.Repeat([]byte("0123456789"), 100000) // 1 MB
			cl := &pingClient{client: &client{body: body, done: make(chan struct{}), closed: make(chan error, 1)},
				acked: make(chan struct{}, 1)}
			cl.l = New(cc, h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now), cl, Options{})
			srv.l.keepWrite, cl.l.keepWrite = tc.keep, tc.keep
			go srv.l.Run()
			go cl.l.Run()
			defer func() {
				cl.l.Close(nil)
				<-cl.l.Done()
				<-srv.l.Done()
			}()
			cl.l.Wake()
			select {
			case <-cl.done:
			case <-time.After(20 * time.Second):
				t.Fatal("no response")
			}
			if !bytes.Equal(cl.got, body) {
				t.Fatalf("echo: %d bytes, want %d", len(cl.got), len(body))
			}
			// A PING: the server's last read is a short one.
			cl.l.Wake()
			select {
			case <-cl.acked:
			case <-time.After(5 * time.Second):
				t.Fatal("no PING ACK")
			}
			var sh, ch int64
			var w int
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
				sh, ch, w = srv.l.held.Load(), cl.l.held.Load(), writers()
				if sh <= tc.want && ch == 0 && w == 0 {
					return
				}
			}
			t.Fatalf("idle: the server holds %d bytes of buffers (want at most %d), the client %d (want 0); %d writer goroutines (want 0)",
				sh, tc.want, ch, w)
		})
	}
}
