package h2kit

import (
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
