package h2kit

import (
	"fmt"
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// TestPriorityUpdateFrame: RFC 9218, Section 7.1 — PRIORITY_UPDATE
// changes an open stream's priority (reported), or one not yet opened,
// overriding the priority header field it then carries.
func TestPriorityUpdateFrame(t *testing.T) {
	p := prioServer(t, Config{})
	p.get(1, "/")
	p.get(3, "/")
	p.drainEvents()
	p.write(&frame.PriorityUpdate{PrioritizedID: 3, FieldValue: []byte("u=0")})
	if ev := wantEvent[*PriorityUpdated](p); ev.StreamID != 3 || ev.Priority.Urgency != 0 {
		t.Fatalf("%+v", ev)
	}
	// Before stream 5 opens; its header says u=7 but the frame wins.
	p.write(&frame.PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=1")})
	p.headers(5, true, ":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/", "priority", "u=7")
	if ev := wantEvent[*RequestReceived](p); ev.Priority.Urgency != 1 {
		t.Fatalf("stream 5 priority %+v, want the PRIORITY_UPDATE's u=1", ev.Priority)
	}
	p.frames()
	p.respondAll(16384, 1, 3, 5)
	_, order := p.dataOrder(3 * 16384)
	if fmt.Sprint(order) != "[3 5 1]" {
		t.Fatalf("order %v, want [3 5 1]", order)
	}
	// A closed stream: ignored.
	p.write(&frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=0")})
	p.wantNoEvent()
}

// TestPriorityUpdateErrors: RFC 9218, Section 7.1 — the connection
// errors of PRIORITY_UPDATE.
func TestPriorityUpdateErrors(t *testing.T) {
	// From a server.
	p := newPeer(t, Config{Role: Client})
	p.write(&frame.PriorityUpdate{PrioritizedID: 1, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// For an idle push stream.
	p = newPeer(t, Config{Role: Server})
	p.write(&frame.PriorityUpdate{PrioritizedID: 2, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// Prioritized stream 0.
	p = newPeer(t, Config{Role: Server})
	p.write(&frame.PriorityUpdate{PrioritizedID: 0, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
	// On a stream other than 0.
	p = newPeer(t, Config{Role: Server})
	p.writeRaw([]byte{0, 0, 7, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 3, 'u', '=', '1'})
	p.wantGoAway(frame.ErrCodeProtocol)
	// More idle prioritized streams than SETTINGS_MAX_CONCURRENT_STREAMS.
	p = newPeer(t, Config{Role: Server, Settings: Settings{MaxConcurrentStreams: 3}})
	p.get(1, "/")
	for _, id := range []uint32{3, 5} {
		p.write(&frame.PriorityUpdate{PrioritizedID: id, FieldValue: []byte("u=1")})
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=2")}) // same stream: fine
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.PriorityUpdate{PrioritizedID: 7, FieldValue: []byte("u=1")})
	p.wantGoAway(frame.ErrCodeProtocol)
}

// TestPriorityUpdateSkippedIDs: updates for ids the client skipped do not
// count against the limit for ever.
func TestPriorityUpdateSkippedIDs(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Settings: Settings{MaxConcurrentStreams: 2}})
	for id := uint32(1); id < 200; id += 4 {
		p.write(&frame.PriorityUpdate{PrioritizedID: id, FieldValue: []byte("u=1")})
		p.get(id+2, "/") // id itself is skipped: closed
		p.c.ResetStream(id+2, frame.ErrCodeCancel)
		if p.err != nil {
			t.Fatalf("at %d: %v", id, p.err)
		}
	}
}

// TestPrioritySendUpdate: a client sends PRIORITY_UPDATE on stream 0
// (RFC 9218, Section 7.1); a server may not.
func TestPrioritySendUpdate(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id, _ := p.c.SendRequest(reqFields("GET", "/"), true)
	p.wantHeaders(id, true)
	if err := p.c.SendPriorityUpdate(id, Priority{Urgency: 1, Incremental: true}); err != nil {
		t.Fatal(err)
	}
	u := p.wantFrame(frame.TypePriorityUpdate).(*frame.PriorityUpdate)
	if u.PrioritizedID != id || string(u.FieldValue) != "u=1, i" {
		t.Fatalf("%+v %q", u, u.FieldValue)
	}
	s := newPeer(t, Config{Role: Server})
	if err := s.c.SendPriorityUpdate(1, DefaultPriority); err != ErrWrongRole {
		t.Fatal(err)
	}
}
