package h2kit

import (
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// growStreamWindow runs a bulk download on a new stream of a over a
// 10 ms link until the client's AutoWindow has grown the stream window
// past the advertised initial size, and finishes the response.
func growStreamWindow(t *testing.T, a *pipeApp) {
	t.Helper()
	id := a.request(reqFields("GET", "/bulk"), nil, nil)
	a.exchange()
	if err := a.srv.SendHeaders(id, fields(":status", "200"), false); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	sent := 0
	app := func() {
		for _, ev := range a.cEvents {
			if e, ok := ev.(*DataReceived); ok {
				a.client.ConsumeData(e.StreamID, len(e.Data))
			}
		}
		a.cEvents, a.sEvents = nil, nil
		for a.srv.State(id) != StateClosed && sent < 4<<20 {
			p := chunk[:min(len(chunk), 4<<20-sent)]
			n, err := a.srv.SendData(id, p, sent+len(p) == 4<<20)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			sent += n
		}
	}
	for i := 0; i < 10 && a.client.State(id) != StateClosed; i++ {
		a.runLatency(10*time.Millisecond, time.Millisecond, 500*time.Millisecond, app)
	}
	if a.client.StreamReceiveWindow() <= frame.DefaultInitialWindowSize {
		t.Fatalf("stream window did not grow: %d", a.client.StreamReceiveWindow())
	}
	if a.client.State(id) != StateClosed {
		t.Fatalf("bulk stream %d not done: %v (server sent %d, state %v, client err %v)", id, a.client.State(id), sent, a.srv.State(id), a.client.Err())
	}
}

// TestAutoWindowNewStreamHeadersFirst: once AutoWindow has grown the
// stream window, a new request's stream gets the larger window with a
// WINDOW_UPDATE, and that WINDOW_UPDATE follows the HEADERS that open the
// stream: before it, the stream is idle, where only HEADERS and PRIORITY
// may be sent (RFC 9113, Section 5.1). nghttpd answers GOAWAY
// PROTOCOL_ERROR to it, grpc-go drops it (and the window is lost).
func TestAutoWindowNewStreamHeadersFirst(t *testing.T) {
	a := newPipeApp(t, Config{AutoWindow: true, MaxAutoWindow: 1 << 20},
		Config{Limits: Limits{MaxStreamSendBuffer: 4 << 20}})
	growStreamWindow(t, a)
	for _, endStream := range []bool{true, false} {
		id, err := a.client.SendRequest(reqFields("GET", "/next"), endStream)
		if err != nil {
			t.Fatalf("SendRequest: %v (client %v, server %v)", err, a.client.Err(), a.srv.Err())
		}
		var ps frame.Parser
		out := a.client.AppendOutgoing(nil)
		if _, err := a.srv.Receive(append([]byte(nil), out...), a.now); err != nil {
			t.Fatalf("server: %v", err)
		}
		a.collect()
		var types []frame.Type
		update := uint32(0)
		for len(out) > 0 {
			f, n, err := ps.Parse(out)
			if err != nil || n == 0 {
				t.Fatalf("client output does not parse: %v", err)
			}
			out = out[n:]
			if f.FrameHeader().StreamID != id {
				continue
			}
			types = append(types, f.FrameHeader().Type)
			if w, ok := f.(*frame.WindowUpdate); ok {
				update += w.Increment
			}
		}
		if len(types) == 0 || types[0] != frame.TypeHeaders {
			t.Fatalf("frames on new stream %d: %v, want HEADERS first", id, types)
		}
		// The new stream still gets the grown window.
		if want := uint32(a.client.StreamReceiveWindow()) - frame.DefaultInitialWindowSize; update != want {
			t.Fatalf("stream %d: WINDOW_UPDATE total %d, want %d (frames %v)", id, update, want, types)
		}
		a.client.ResetStream(id, frame.ErrCodeCancel)
		a.run()
	}
}

// TestAutoWindowSecondBulkDownload: a second large response on the same
// connection after the window grew arrives whole (the grown window is
// given to the new stream, and the server accepts how it was given).
func TestAutoWindowSecondBulkDownload(t *testing.T) {
	a := newPipeApp(t, Config{AutoWindow: true, MaxAutoWindow: 1 << 20},
		Config{Limits: Limits{MaxStreamSendBuffer: 4 << 20}})
	growStreamWindow(t, a)
	growStreamWindow(t, a)
	if a.client.Err() != nil || a.srv.Err() != nil {
		t.Fatalf("connection failed: client %v, server %v", a.client.Err(), a.srv.Err())
	}
}
