package h2kit

import (
	"errors"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// TestGoAwayReceivedClient: RFC 9113, Section 6.8 — after GOAWAY a client
// opens no streams; its streams above the last stream id were not
// processed and are reported retryable; those below complete.
func TestGoAwayReceivedClient(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	for i := 0; i < 4; i++ {
		if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != nil {
			t.Fatal(err)
		}
	}
	p.frames()
	p.write(&frame.GoAway{LastStreamID: 3, Code: frame.ErrCodeNo, DebugData: []byte("bye")})
	g := wantEvent[*GoAwayReceived](p)
	if g.LastStreamID != 3 || g.Code != frame.ErrCodeNo || string(g.DebugData) != "bye" {
		t.Fatalf("%+v", g)
	}
	for _, id := range []uint32{5, 7} {
		r := wantEvent[*StreamReset](p)
		if r.StreamID != id || !r.Retryable || r.Initiator != Remote || r.Code != frame.ErrCodeRefusedStream {
			t.Fatalf("%+v", r)
		}
	}
	if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != ErrStreamsExhausted {
		t.Fatalf("SendRequest after GOAWAY: %v", err)
	}
	if p.c.Done() {
		t.Fatal("Done with streams 1 and 3 in flight")
	}
	p.headers(1, true, ":status", "204")
	p.headers(3, true, ":status", "204")
	wantEvent[*ResponseReceived](p)
	wantEvent[*ResponseReceived](p)
	if !p.c.Done() || p.c.Err() != nil {
		t.Fatalf("Done %v, err %v", p.c.Done(), p.c.Err())
	}
	// A second GOAWAY may lower the id, not raise it.
	p.write(&frame.GoAway{LastStreamID: 1})
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.GoAway{LastStreamID: 9})
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestGoAwayWithError: a GOAWAY with an error code ends the connection,
// reported as a ConnError from the peer with its debug data.
func TestGoAwayWithError(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	p.write(&frame.GoAway{LastStreamID: 0, Code: frame.ErrCodeEnhanceYourCalm, DebugData: []byte("slow down")})
	wantEvent[*GoAwayReceived](p)
	ev := wantEvent[*ConnectionTerminated](p)
	var ce *ConnError
	if !errors.As(ev.Err, &ce) || ce.Code != frame.ErrCodeEnhanceYourCalm || ce.Initiator != Remote || ce.Reason != "slow down" {
		t.Fatalf("%v", ev.Err)
	}
	if !errors.Is(p.c.Err(), &ConnError{Code: frame.ErrCodeEnhanceYourCalm}) || !p.c.Done() {
		t.Fatal(p.c.Err())
	}
	p.wantNoFrame() // no GOAWAY of ours in answer
}

// TestGoAwayGracefulShutdown: RFC 9113, Section 6.8 — the server's
// two-phase shutdown: GOAWAY with 2^31-1 and a PING; streams opened
// meanwhile are still served; after the PING's ACK the final GOAWAY names
// the last stream processed; later streams are ignored; in-flight streams
// complete; then Done.
func TestGoAwayGracefulShutdown(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	wantEvent[*RequestReceived](p)
	p.c.Shutdown()
	g := p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.LastStreamID != frame.MaxWindowSize || g.Code != frame.ErrCodeNo {
		t.Fatalf("first GOAWAY %+v", g)
	}
	ping := p.wantFrameType(frame.TypePing).(*frame.Ping)
	if p.c.Done() {
		t.Fatal("Done in phase 1")
	}
	// A request crossing the first GOAWAY is still served.
	p.get(3, "/")
	wantEvent[*RequestReceived](p)
	p.write(&frame.Ping{Ack: true, Data: ping.Data})
	wantEvent[*PingAcked](p)
	g = p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.LastStreamID != 3 || g.Code != frame.ErrCodeNo {
		t.Fatalf("final GOAWAY %+v", g)
	}
	// Streams above 3 are ignored, their frames too: no events, no errors.
	p.post(5)
	p.write(&frame.Data{StreamID: 5, Data: []byte("x")})
	p.headers(5, true, "x-trailer", "t")
	p.wantNoEvent()
	p.wantNoFrame()
	if p.c.State(5) != StateClosed {
		t.Fatal(p.c.State(5))
	}
	// In-flight streams complete.
	for _, id := range []uint32{1, 3} {
		if p.c.Done() {
			t.Fatal("Done with streams open")
		}
		if err := p.c.SendHeaders(id, fields(":status", "200"), true); err != nil {
			t.Fatal(err)
		}
		p.wantHeaders(id, true)
	}
	if !p.c.Done() || p.c.Err() != nil {
		t.Fatalf("Done %v, err %v", p.c.Done(), p.c.Err())
	}
	p.c.Shutdown() // again: nothing
	p.wantNoFrame()
}

// TestGoAwayClientShutdown: a client's shutdown is one GOAWAY; its
// streams complete.
func TestGoAwayClientShutdown(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id, _ := p.c.SendRequest(reqFields("GET", "/"), true)
	p.frames()
	p.c.Shutdown()
	g := p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.LastStreamID != 0 || g.Code != frame.ErrCodeNo {
		t.Fatalf("%+v", g)
	}
	if _, err := p.c.SendRequest(reqFields("GET", "/"), true); err != ErrStreamsExhausted {
		t.Fatal(err)
	}
	p.headers(id, true, ":status", "200")
	wantEvent[*ResponseReceived](p)
	if !p.c.Done() {
		t.Fatal("not done")
	}
}

// TestGoAwayOnConnError: RFC 9113, Section 5.4.1 — a connection error
// sends GOAWAY with the code, the last stream processed and the reason as
// debug data.
func TestGoAwayOnConnError(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.get(3, "/")
	p.drainEvents()
	p.write(&frame.Data{StreamID: 7, Data: []byte("x")}) // idle stream
	g := p.wantGoAway(frame.ErrCodeProtocol)
	if g.LastStreamID != 3 || !strings.Contains(string(g.DebugData), "idle") {
		t.Fatalf("GOAWAY last %d debug %q", g.LastStreamID, g.DebugData)
	}
	ev := wantEvent[*ConnectionTerminated](p)
	var ce *ConnError
	if !errors.As(ev.Err, &ce) || ce.Initiator != Local || ce.Reason != string(g.DebugData) {
		t.Fatalf("%v", ev.Err)
	}
	// Nothing more is accepted or produced.
	if n, err := p.c.Receive([]byte{0}, p.now); n != 0 || err == nil {
		t.Fatalf("Receive after the end: %d, %v", n, err)
	}
	if _, err := p.c.SendData(1, []byte("x"), true); err != ErrConnClosed {
		t.Fatal(err)
	}
	p.wantNoFrame()
}

// TestGoAwayBadPreface: RFC 9113, Section 3.4 — a wrong preface is a
// PROTOCOL_ERROR; an HTTP/1.1 request is recognised.
func TestGoAwayBadPreface(t *testing.T) {
	p := newRawPeer(t, Config{Role: Server})
	p.writeRaw([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	p.frames()
	if p.err == nil || !strings.Contains(p.err.Error(), "HTTP/1") {
		t.Fatal(p.err)
	}
	p = newRawPeer(t, Config{Role: Server})
	p.writeRaw([]byte("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"))
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestClose: Close ends the connection at once with GOAWAY(code, reason).
func TestClose(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.drainEvents()
	p.c.Close(frame.ErrCodeInternal, "going down")
	g := p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.Code != frame.ErrCodeInternal || string(g.DebugData) != "going down" || g.LastStreamID != 1 {
		t.Fatalf("%+v", g)
	}
	ev := wantEvent[*ConnectionTerminated](p)
	var ce *ConnError
	if !errors.As(ev.Err, &ce) || ce.Initiator != User || ce.Code != frame.ErrCodeInternal {
		t.Fatal(ev.Err)
	}
	if !p.c.Done() || p.c.WantWrite() {
		t.Fatal("not done")
	}
	p.c.Close(frame.ErrCodeNo, "again") // nothing more
	p.wantNoFrame()
}

func TestGoAwayLastStreamID(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.get(1, "/")
	p.headers(3, false, postReq...)
	p.drain()
	p.write(&frame.Unknown{Hdr: frame.Header{Type: frame.TypePing}, Payload: make([]byte, 7)})
	g := p.wantGoAway(frame.ErrCodeFrameSize)
	if g.LastStreamID != 3 {
		t.Fatalf("GOAWAY last stream %d, want 3", g.LastStreamID)
	}
	var ce *ConnError
	if !errors.As(p.c.Err(), &ce) || ce.Initiator != Local || ce.Code != frame.ErrCodeFrameSize {
		t.Fatalf("Err() = %v", p.c.Err())
	}
	ev := wantEvent[*ConnectionTerminated](p)
	if !errors.Is(ev.Err, &ConnError{Code: frame.ErrCodeFrameSize}) {
		t.Fatalf("event %v", ev.Err)
	}
	// The connection is over: input and commands are refused.
	if _, err := p.c.Receive([]byte{0}, p.now); !errors.Is(err, &ConnError{Code: frame.ErrCodeFrameSize}) {
		t.Fatalf("Receive after the error: %v", err)
	}
	if err := p.c.SendHeaders(3, fields(resp200...), false); err != ErrConnClosed {
		t.Fatalf("SendHeaders after the error: %v", err)
	}
	if !p.c.Done() {
		t.Fatal("not Done")
	}

	// A client: the last stream the server opened (promised).
	c := newPeer(t, Config{Role: Client})
	id := c.request(getReq, true)
	c.write(&frame.PushPromise{StreamID: id, PromisedID: 4, EndHeaders: true, BlockFragment: c.block(pushReq...)})
	c.drain()
	c.write(&frame.Data{StreamID: 9, Data: []byte("x")}) // idle
	if g := c.wantGoAway(frame.ErrCodeProtocol); g.LastStreamID != 4 {
		t.Fatalf("client GOAWAY last stream %d, want 4", g.LastStreamID)
	}
}
