package h2kit

import (
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
)

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
