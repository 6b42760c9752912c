package h2kit

import (
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
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

// smallResponses runs a client (cfg, AutoWindow) keeping inflight GETs
// open against a server answering each with size bytes, over a link of
// the given one-way latency, for d of simulated time. It returns the
// times of the PINGs the client sent and the responses completed.
func smallResponses(t *testing.T, cfg Config, inflight, size int, latency, d time.Duration) (pings []time.Time, done int) {
	t.Helper()
	tr := &pingTimes{}
	cfg.Tracer = tr
	a := newPipeApp(t, cfg, Config{Limits: Limits{MaxStreamSendBuffer: 4 << 20}})
	tr.now = &a.now
	done = runSmall(t, a, inflight, size, latency, d)
	return tr.sent, done
}

// runSmall keeps inflight GETs for size bytes open on a for d; it
// returns the responses completed.
func runSmall(t *testing.T, a *pipeApp, inflight, size int, latency, d time.Duration) (done int) {
	t.Helper()
	body := make([]byte, size)
	ids := map[uint32]bool{}
	for range inflight {
		ids[a.request(reqFields("GET", "/small"), nil, nil)] = true
	}
	var end time.Time
	app := func() {
		for _, ev := range a.sEvents {
			if e, ok := ev.(*RequestReceived); ok {
				if err := a.srv.SendHeaders(e.StreamID, fields(":status", "200"), false); err != nil {
					t.Fatal(err)
				}
				if n, err := a.srv.SendData(e.StreamID, body, true); err != nil || n != size {
					t.Fatalf("SendData: %d, %v", n, err)
				}
			}
		}
		for _, ev := range a.cEvents {
			if e, ok := ev.(*DataReceived); ok {
				a.client.ConsumeData(e.StreamID, len(e.Data))
				if e.EndStream && ids[e.StreamID] {
					done++
					delete(ids, e.StreamID)
					if a.now.Before(end) {
						ids[a.request(reqFields("GET", "/small"), nil, nil)] = true
					}
				}
			}
		}
		a.cEvents, a.sEvents = nil, nil
	}
	end = a.now.Add(d)
	a.runLatency(latency, latency/5, d+10*latency, app) // the last responses arrive
	if err := a.srv.Err(); err != nil {
		t.Fatalf("server ended the connection: %v", err)
	}
	if len(ids) > 0 {
		t.Fatalf("%d requests unanswered", len(ids))
	}
	return done
}

// maxPerWindow is the most PINGs within any span of length w.
func maxPerWindow(ts []time.Time, w time.Duration) int {
	most, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// TestAutoWindowSmallResponsesFewPings: many small responses never fill a
// window, so AutoWindow has nothing to measure: the client sends (almost)
// no BDP PINGs, and never more than one per minBDPInterval, whatever the
// round-trip time. Before, it sent one per round trip while DATA flowed
// (here ~1000 a second), and a server limiting PINGs (ours: Limits.Pings,
// 100 a second after a burst of 1000) ended the connection with
// ENHANCE_YOUR_CALM.
func TestAutoWindowSmallResponsesFewPings(t *testing.T) {
	for _, size := range []int{10, 1000, 16 << 10} {
		pings, done := smallResponses(t, Config{AutoWindow: true}, 8, size, 250*time.Microsecond, 2*time.Second)
		t.Logf("%d-byte responses: %d done, %d PINGs in 2s", size, done, len(pings))
		if done < 1000 {
			t.Fatalf("only %d responses", done)
		}
		// The bound by construction: probes that grow nothing are at
		// least minBDPInterval apart.
		if n := maxPerWindow(pings, time.Second); n > int(time.Second/minBDPInterval) {
			t.Errorf("%d-byte responses: %d PINGs within one second", size, n)
		}
		// And these responses fill no window: at most the first probe
		// and one per bdpStaleEpoch.
		if n := len(pings); n > 1+int(2*time.Second/bdpStaleEpoch) {
			t.Errorf("%d-byte responses: %d PINGs in 2s", size, n)
		}
	}
}

// TestAutoWindowGrowsAfterSmallResponses: after a while of small
// responses on a short round trip, a bulk download over a longer one
// (the path changed, or queues filled) still grows the windows: the
// rate measured against the old round trip looks too slow to fill a
// window, so an epoch older than bdpStaleEpoch is judged by its bytes.
func TestAutoWindowGrowsAfterSmallResponses(t *testing.T) {
	a := newPipeApp(t, Config{AutoWindow: true, MaxAutoWindow: 1 << 20},
		Config{Limits: Limits{MaxStreamSendBuffer: 4 << 20}})
	if done := runSmall(t, a, 8, 1000, 250*time.Microsecond, time.Second); done < 1000 {
		t.Fatalf("only %d responses", done)
	}
	if a.client.StreamReceiveWindow() != frame.DefaultInitialWindowSize {
		t.Fatalf("small responses grew the stream window to %d", a.client.StreamReceiveWindow())
	}
	growStreamWindow(t, a)
}

// pingTimes records when the engine sent its PINGs (not ACKs).
type pingTimes struct {
	now  *time.Time
	sent []time.Time
}

func (p *pingTimes) FrameReceived(frame.Header, frame.Frame, []hpack.Field) {}

func (p *pingTimes) FrameSent(h frame.Header, f frame.Frame, fs []hpack.Field) {
	if pg, ok := f.(*frame.Ping); ok && !pg.Ack {
		p.sent = append(p.sent, *p.now)
	}
}
