package h2kit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// PING (RFC 9113, Section 6.7), GOAWAY (Section 6.8), RST_STREAM (6.4).

// TestPingAutoAck: a PING is answered with an ACK carrying the same data;
// an ACK we did not ask for is ignored.
func TestPingAutoAck(t *testing.T) {
	for _, role := range []Role{Client, Server} {
		p := newPeer(t, Config{Role: role})
		data := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
		p.write(&frame.Ping{Data: data})
		f := p.wantFrameType(frame.TypePing).(*frame.Ping)
		if !f.Ack || f.Data != data {
			t.Fatalf("%v: PING answer %+v", role, f)
		}
		p.write(&frame.Ping{Ack: true, Data: [8]byte{9}})
		p.wantNoFrame()
		p.wantNoEvent()
	}
}

// TestPingMalformed: Section 6.7 — PING on a stream is PROTOCOL_ERROR, a
// length other than 8 FRAME_SIZE_ERROR.
func TestPingMalformed(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.writeRaw([]byte{0, 0, 8, 6, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	p.wantGoAway(frame.ErrCodeProtocol)
	p = newPeer(t, Config{Role: Server})
	p.writeRaw([]byte{0, 0, 7, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	p.wantGoAway(frame.ErrCodeFrameSize)
}

// TestPingRTT: Ping() sends a PING; its ACK is reported with the round
// trip measured on the clock the caller passes in.
func TestPingRTT(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	data, err := p.c.Ping()
	if err != nil {
		t.Fatal(err)
	}
	f := p.wantFrameType(frame.TypePing).(*frame.Ping)
	if f.Ack || f.Data != data {
		t.Fatalf("PING %+v, Ping returned %x", f, data)
	}
	data2, _ := p.c.Ping()
	if data2 == data {
		t.Fatal("two PINGs with the same data")
	}
	p.frames()
	p.now = p.now.Add(30 * time.Millisecond)
	p.write(&frame.Ping{Ack: true, Data: data})
	ev := wantEvent[*PingAcked](p)
	if ev.Data != data || ev.RTT != 30*time.Millisecond {
		t.Fatalf("%+v", ev)
	}
	p.now = p.now.Add(5 * time.Millisecond)
	p.write(&frame.Ping{Ack: true, Data: data2})
	if ev := wantEvent[*PingAcked](p); ev.RTT != 35*time.Millisecond {
		t.Fatalf("%+v", ev)
	}
	// Acknowledged twice: the second is ignored.
	p.write(&frame.Ping{Ack: true, Data: data2})
	p.wantNoEvent()
	if !p.c.Deadline().IsZero() {
		t.Fatalf("deadline %v with no PING outstanding", p.c.Deadline())
	}
}

// TestPingTimeout: a PING not acknowledged within Config.PingTimeout ends
// the connection.
func TestPingTimeout(t *testing.T) {
	p := newPeer(t, Config{Role: Client, PingTimeout: 2 * time.Second})
	p.c.Ping()
	p.frames()
	if d := p.c.Deadline(); !d.Equal(p.now.Add(2 * time.Second)) {
		t.Fatalf("Deadline in %v", d.Sub(p.now))
	}
	p.advance(1999 * time.Millisecond)
	if p.c.Err() != nil {
		t.Fatal("too early")
	}
	p.advance(time.Millisecond)
	p.wantFrame(frame.TypeGoAway)
	ev := wantEvent[*ConnectionTerminated](p)
	if ev.Err == nil || !strings.Contains(ev.Err.Error(), "PING") || !p.c.Done() {
		t.Fatalf("%v", ev.Err)
	}
	if _, err := p.c.Ping(); err != ErrConnClosed {
		t.Fatal(err)
	}
}

// TestPingKeepAlive: with Config.KeepAlive, read silence sends a PING;
// anything received resets the timer.
func TestPingKeepAlive(t *testing.T) {
	p := newPeer(t, Config{Role: Client, KeepAlive: 10 * time.Second})
	if d := p.c.Deadline(); !d.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("Deadline in %v", d.Sub(t0))
	}
	p.advance(6 * time.Second)
	p.write(&frame.Ping{Data: [8]byte{1}}) // traffic: the timer restarts
	p.frames()
	p.advance(6 * time.Second)
	p.wantNoFrame()
	p.advance(4 * time.Second)
	ping := p.wantFrameType(frame.TypePing).(*frame.Ping)
	if ping.Ack {
		t.Fatal("want a PING")
	}
	// While it is outstanding the deadline is the PING timeout.
	if d := p.c.Deadline(); !d.Equal(p.now.Add(15 * time.Second)) {
		t.Fatalf("Deadline in %v, want the 15s PING timeout", d.Sub(p.now))
	}
	p.write(&frame.Ping{Ack: true, Data: ping.Data})
	wantEvent[*PingAcked](p)
	if d := p.c.Deadline(); !d.Equal(p.now.Add(10 * time.Second)) {
		t.Fatalf("Deadline in %v after the ACK", d.Sub(p.now))
	}
	// A dead peer: PING, no ACK, the connection ends.
	p.advance(10 * time.Second)
	p.frames()
	p.advance(15 * time.Second)
	p.wantFrame(frame.TypeGoAway)
	if p.c.Err() == nil {
		t.Fatal("still alive")
	}
}

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

// TestGoAwayShutdownTimeout: without the PING's ACK, the final GOAWAY
// goes after Config.ShutdownTimeout.
func TestGoAwayShutdownTimeout(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ShutdownTimeout: 500 * time.Millisecond})
	p.get(1, "/")
	p.c.Shutdown()
	p.frames()
	if d := p.c.Deadline(); !d.Equal(p.now.Add(500 * time.Millisecond)) {
		t.Fatalf("Deadline in %v", d.Sub(p.now))
	}
	p.advance(500 * time.Millisecond)
	g := p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.LastStreamID != 1 {
		t.Fatalf("%+v", g)
	}
	p.c.SendHeaders(1, fields(":status", "200"), true)
	p.frames()
	if !p.c.Done() {
		t.Fatal("not done")
	}
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

// TestIdleTimeout: Config.IdleTimeout starts a graceful shutdown when no
// stream has been open for that long.
func TestIdleTimeout(t *testing.T) {
	p := newPeer(t, Config{Role: Server, IdleTimeout: time.Minute})
	p.get(1, "/")
	p.drainEvents()
	if !p.c.Deadline().IsZero() {
		t.Fatal("idle deadline with a stream open")
	}
	p.advance(30 * time.Second)
	p.c.SendHeaders(1, fields(":status", "200"), true)
	p.frames()
	if d := p.c.Deadline(); !d.Equal(p.now.Add(time.Minute)) {
		t.Fatalf("Deadline in %v", d.Sub(p.now))
	}
	p.advance(time.Minute)
	g := p.wantFrameType(frame.TypeGoAway).(*frame.GoAway)
	if g.LastStreamID != frame.MaxWindowSize {
		t.Fatalf("%+v", g)
	}
}

// TestRSTStreamBothWays: RFC 9113, Section 6.4 — RST_STREAM from the peer
// is reported with its code (Initiator Remote); a reset the engine sends
// for a peer error is reported with Initiator Local; ResetStream sends one.
func TestRSTStreamBothWays(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.post(1)
	p.post(3)
	p.post(5)
	p.drainEvents()
	p.write(&frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel})
	r := wantEvent[*StreamReset](p)
	if r.StreamID != 1 || r.Code != frame.ErrCodeCancel || r.Initiator != Remote || r.Retryable {
		t.Fatalf("%+v", r)
	}
	p.write(&frame.RSTStream{StreamID: 3, Code: frame.ErrCodeRefusedStream})
	if r := wantEvent[*StreamReset](p); !r.Retryable {
		t.Fatalf("REFUSED_STREAM not retryable: %+v", r)
	}
	// A peer error on stream 5 (WINDOW_UPDATE of 0, Section 6.9).
	p.write(&frame.WindowUpdate{StreamID: 5, Increment: 0})
	p.wantRST(5, frame.ErrCodeProtocol)
	if r := wantEvent[*StreamReset](p); r.StreamID != 5 || r.Initiator != Local || r.Code != frame.ErrCodeProtocol {
		t.Fatalf("%+v", r)
	}
	// The application resets a stream.
	p.post(7)
	p.drainEvents()
	if err := p.c.ResetStream(7, frame.ErrCodeInternal); err != nil {
		t.Fatal(err)
	}
	p.wantRST(7, frame.ErrCodeInternal)
	if err := p.c.ResetStream(7, frame.ErrCodeInternal); err != ErrUnknownStream {
		t.Fatal(err)
	}
	// Frames the peer sent before it saw the reset are ignored.
	p.write(&frame.Data{StreamID: 7, Data: []byte("late")}, &frame.RSTStream{StreamID: 7, Code: frame.ErrCodeCancel})
	p.wantNoEvent()
	p.wantNoFrame()
	// RST_STREAM on an idle stream: PROTOCOL_ERROR (Section 6.4).
	p.write(&frame.RSTStream{StreamID: 11, Code: frame.ErrCodeCancel})
	p.wantGoAway(frame.ErrCodeProtocol)
}
