package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Section 5.1, "closed": after we reset a stream, what the peer sent
// before seeing it is ignored, but DATA still counts against the
// connection window, and is given back.
func TestClosedAfterOurResetDataCounts(t *testing.T) {
	p := newPeer(t, Config{Role: Server, ConnectionWindow: 65535, Settings: Settings{InitialWindowSize: 1 << 20}})
	p.headers(1, false, postReq...)
	p.headers(3, false, postReq...)
	p.drain()
	mustSend(t, p.c.ResetStream(1, frame.ErrCodeCancel))
	p.drain()
	chunk := make([]byte, 1000)
	for i := 0; i < 40; i++ {
		p.write(&frame.Data{StreamID: 1, Data: chunk})
	}
	fs := p.frames()
	if got := windowUpdates(fs); got[0] < 32767 || got[1] != 0 {
		t.Fatalf("window updates after DATA on a reset stream: %v, want the connection's credited", got)
	}
	for _, f := range fs {
		if f.FrameHeader().Type != frame.TypeWindowUpdate {
			t.Fatalf("unexpected %v", f.FrameHeader().Type)
		}
	}
	p.wantNoEvent()
	// Fill the connection window with DATA the application holds on 3,
	// but 500 bytes; 501 bytes on the reset stream are too many.
	for left := p.c.recv.left - 500; left > 0; {
		n := min(16384, left)
		p.write(&frame.Data{StreamID: 3, Data: make([]byte, n)})
		left -= n
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 500)})
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.write(&frame.Data{StreamID: 1, Data: make([]byte, 1)})
	p.wantConnError(frame.ErrCodeFlowControl)
}

// Section 5.1, "closed": a header block on a stream we reset updates the
// HPACK state (Section 4.3) although it is ignored.
func TestClosedAfterOurResetKeepsHPACKState(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: rawBlock(postReq...)})
	mustSend(t, p.c.ResetStream(1, frame.ErrCodeCancel))
	p.drain()
	// Trailers on 1, split over HEADERS and CONTINUATION, add x-k: v to
	// the dynamic table.
	blk := lit(true, "x-k", "v")
	p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: blk[:2]},
		&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: blk[2:]})
	if o := p.observe(nil); len(o.frames) > 0 || len(o.events) > 0 {
		t.Fatalf("frames on a reset stream not ignored: %v", o)
	}
	// Stream 3 refers to it by index 62 (the newest dynamic entry).
	p.write(&frame.Headers{StreamID: 3, EndStream: true, EndHeaders: true,
		BlockFragment: append(rawBlock(getReq...), 0x80|62)})
	ev := wantEvent[*RequestReceived](p)
	if ev.StreamID != 3 || fieldValue(ev.Fields, "x-k") != "v" {
		t.Fatalf("request %+v", ev)
	}
}

// Section 5.1, "closed": a PUSH_PROMISE on a stream the client reset
// still reserves the promised stream; the client refuses it, and the
// pushed response already in flight is ignored.
func TestClosedAfterOurResetPushPromise(t *testing.T) {
	p := newPeer(t, Config{Role: Client})
	id := p.request(getReq, true)
	mustSend(t, p.c.ResetStream(id, frame.ErrCodeCancel))
	p.drain()
	p.write(&frame.PushPromise{StreamID: id, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(pushReq...)})
	p.wantRST(2, frame.ErrCodeCancel)
	p.headers(2, false, resp200...)
	p.write(&frame.Data{StreamID: 2, EndStream: true, Data: []byte("pushed")})
	p.wantNoFrame()
	p.wantNoEvent()
	if st := p.c.State(2); st != StateClosed {
		t.Fatalf("promised stream %v", st)
	}
	// The promised id is used: a lower one is not acceptable any more.
	p.request(getReq, true)
	p.write(&frame.PushPromise{StreamID: 3, PromisedID: 2, EndHeaders: true, BlockFragment: p.block(pushReq...)})
	p.wantConnError(frame.ErrCodeProtocol)
}

// Section 5.1, "closed": the memory of reset streams is bounded
// (Limits.MaxClosedStreams); DATA on one that is forgotten is a stream
// error of type STREAM_CLOSED (Section 6.1), a HEADERS is ignored.
func TestClosedForgottenReset(t *testing.T) {
	p := newPeer(t, Config{Role: Server, Limits: Limits{MaxClosedStreams: 2}})
	for id := uint32(1); id <= 7; id += 2 {
		p.headers(id, false, postReq...)
		mustSend(t, p.c.ResetStream(id, frame.ErrCodeCancel))
	}
	p.drain()
	p.write(&frame.Data{StreamID: 7, Data: []byte("x")})
	p.wantNoFrame()
	p.write(&frame.Data{StreamID: 1, Data: []byte("x")})
	p.wantRST(1, frame.ErrCodeStreamClosed)
	p.headers(3, true, trailers...)
	p.wantNoFrame()
	if p.err != nil {
		t.Fatal(p.err)
	}
}
