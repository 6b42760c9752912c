package h2client

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// wuTracer records the largest stream WINDOW_UPDATE increment sent.
type wuTracer struct{ max *atomic.Uint32 }

func (w wuTracer) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {}
func (w wuTracer) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	if u, ok := f.(*frame.WindowUpdate); ok && u.StreamID != 0 && u.Increment > w.max.Load() {
		w.max.Store(u.Increment)
	}
}

// delayConn delivers what it reads from the server delay late: a link
// with a round trip of at least delay, for AutoWindow to measure.
type delayConn struct {
	net.Conn
	delay time.Duration
	ch    chan delayed
	buf   []byte
	err   error
}

type delayed struct {
	at  time.Time
	b   []byte
	err error
}

func newDelayConn(c net.Conn, delay time.Duration) *delayConn {
	d := &delayConn{Conn: c, delay: delay, ch: make(chan delayed, 4096)}
	go func() {
		for {
			b := make([]byte, 32<<10)
			n, err := c.Read(b)
			d.ch <- delayed{time.Now().Add(delay), b[:n], err}
			if err != nil {
				close(d.ch)
				return
			}
		}
	}()
	return d
}

func (d *delayConn) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		x, ok := <-d.ch
		if !ok {
			return 0, io.EOF
		}
		time.Sleep(time.Until(x.at))
		d.buf, d.err = x.b, x.err
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}

// TestAutoWindow: by default the stream window grows past
// InitialWindowSize while a download over a link with a 5 ms round trip
// is limited by it (the engine's BDP estimate), up to MaxAutoWindow; with
// DisableAutoWindow it does not.
func TestAutoWindow(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	for _, auto := range []bool{true, false} {
		var max atomic.Uint32
		tr := newTransport(t)
		tr.InitialWindowSize = 64 << 10
		tr.MaxAutoWindow = 1 << 20
		tr.DisableAutoWindow = !auto
		tr.NewTracer = func(net.Conn) h2kit.Tracer { return wuTracer{&max} }
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return newDelayConn(c, 5*time.Millisecond), nil
		}
		for range 2 {
			resp, err := client(tr).Get(base + "/bytes?n=4194304")
			if err != nil {
				t.Fatal(err)
			}
			if err := checkPattern(resp.Body, 4<<20); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		t.Logf("auto=%v: largest stream WINDOW_UPDATE %d", auto, max.Load())
		if grew := max.Load() > 64<<10; grew != auto {
			t.Fatalf("auto=%v: largest stream WINDOW_UPDATE %d", auto, max.Load())
		}
		if max.Load() > 1<<20 {
			t.Fatalf("window grew past MaxAutoWindow: %d", max.Load())
		}
	}
}
