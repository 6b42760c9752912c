package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

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
