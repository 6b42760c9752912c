package h2client

import (
	"io"
	"net"
	"sync/atomic"
	"testing"

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

// TestAutoWindow: by default the stream window grows past
// InitialWindowSize while a download is limited by it (the engine's
// BDP estimate), up to MaxAutoWindow; with DisableAutoWindow it does not.
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
		for range 4 {
			resp, err := client(tr).Get(base + "/bytes?n=16777216")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
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
