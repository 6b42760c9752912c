package h2kit

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// Frames as the engine sees them: RFC 9113, Section 4.1 (format), 4.2
// (size), 4.3 (field blocks and HPACK errors), 5.5 (extensions), 6.x
// (per-type rules the engine applies) and 6.10 (CONTINUATION).

// raw builds one frame from its header fields and payload, as given: any
// type, flags, length.
func raw(typ frame.Type, flags frame.Flags, id uint32, payload []byte) *frame.Unknown {
	return &frame.Unknown{Hdr: frame.Header{Type: typ, Flags: flags, StreamID: id}, Payload: payload}
}

// Section 4.1: flags a type does not define are ignored, and so is the
// reserved bit of the stream identifier.
func TestConnUnusedFlagsAndReservedBit(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(raw(frame.TypeHeaders, frame.FlagEndHeaders|0x2|0x10|0x40|0x80, 1, p.block(postReq...)))
	if ev := wantEvent[*RequestReceived](p); ev.StreamID != 1 || ev.EndStream {
		t.Fatalf("request %+v", ev)
	}
	b := raw(frame.TypeData, frame.FlagEndStream|0x2|0x4|0x10|0x20|0x40|0x80, 1, []byte("body")).Append(nil)
	b[5] |= 0x80 // reserved bit
	p.writeRaw(b)
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "body" || !ev.EndStream {
		t.Fatalf("data %+v", ev)
	}
	p.write(raw(frame.TypePing, 0xfe, 0, make([]byte, 8)))
	if pg := p.wantFrame(frame.TypePing).(*frame.Ping); !pg.Ack {
		t.Fatalf("PING %+v", pg)
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// Section 4.2: frames up to SETTINGS_MAX_FRAME_SIZE are taken; larger
// ones are a FRAME_SIZE_ERROR, as soon as their header is seen.
func TestConnFrameSize(t *testing.T) {
	t.Run("DATA of 2^14 octets", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, false, postReq...)
		p.write(&frame.Data{StreamID: 1, EndStream: true, Data: make([]byte, 16384)})
		wantEvent[*RequestReceived](p)
		if ev := wantEvent[*DataReceived](p); len(ev.Data) != 16384 {
			t.Fatalf("got %d bytes", len(ev.Data))
		}
	})
	t.Run("DATA over the limit", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		p.headers(1, false, postReq...)
		p.writeRaw((&frame.Data{StreamID: 1, Data: make([]byte, 16385)}).Append(nil)[:frame.HeaderLen])
		p.wantConnError(frame.ErrCodeFrameSize)
	})
	t.Run("HEADERS over the limit", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		blk := append(p.block(getReq...), rawBlock("x-big", string(make([]byte, 100)))...)
		for len(blk) <= 16384 {
			blk = append(blk, rawBlock("x-pad", string(make([]byte, 100)))...)
		}
		p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: blk})
		p.wantConnError(frame.ErrCodeFrameSize)
	})
	t.Run("larger advertised limit", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server, Settings: Settings{MaxFrameSize: 32768}})
		p.headers(1, false, postReq...)
		p.write(&frame.Data{StreamID: 1, EndStream: true, Data: make([]byte, 32768)})
		wantEvent[*RequestReceived](p)
		if ev := wantEvent[*DataReceived](p); len(ev.Data) != 32768 {
			t.Fatalf("got %d bytes", len(ev.Data))
		}
	})
}

// Section 4.2: a frame too short or too long for its type; connection
// errors, but for PRIORITY (Section 6.3), a stream error.
func TestConnFrameLengths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      frame.Frame
		stream bool
	}{
		{"PING 7", raw(frame.TypePing, 0, 0, make([]byte, 7)), false},
		{"PING 9", raw(frame.TypePing, 0, 0, make([]byte, 9)), false},
		{"RST_STREAM 3", raw(frame.TypeRSTStream, 0, 1, make([]byte, 3)), false},
		{"RST_STREAM 5", raw(frame.TypeRSTStream, 0, 1, make([]byte, 5)), false},
		{"WINDOW_UPDATE 3", raw(frame.TypeWindowUpdate, 0, 1, []byte{0, 0, 1}), false},
		{"WINDOW_UPDATE 5 on 0", raw(frame.TypeWindowUpdate, 0, 0, []byte{0, 0, 0, 1, 0}), false},
		{"SETTINGS 5", raw(frame.TypeSettings, 0, 0, make([]byte, 5)), false},
		{"SETTINGS ACK 6", raw(frame.TypeSettings, frame.FlagAck, 0, make([]byte, 6)), false},
		{"GOAWAY 7", raw(frame.TypeGoAway, 0, 0, make([]byte, 7)), false},
		{"HEADERS with PRIORITY 4", raw(frame.TypeHeaders, frame.FlagEndHeaders|frame.FlagPriority, 3, make([]byte, 4)), false},
		{"DATA PADDED 0", raw(frame.TypeData, frame.FlagPadded, 1, nil), false},
		{"PRIORITY 4", raw(frame.TypePriority, 0, 1, make([]byte, 4)), true},
		{"PRIORITY 6", raw(frame.TypePriority, 0, 1, make([]byte, 6)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.headers(1, false, postReq...)
			p.drain()
			p.write(tc.f)
			if tc.stream {
				p.wantRST(1, frame.ErrCodeFrameSize)
				if p.err != nil {
					t.Fatal(p.err)
				}
				return
			}
			p.wantConnError(frame.ErrCodeFrameSize)
		})
	}
}

// Sections 6.x: frames that must (or must not) name a stream.
func TestConnStreamZero(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    frame.Frame
	}{
		{"DATA on 0", raw(frame.TypeData, 0, 0, []byte("x"))},
		{"HEADERS on 0", raw(frame.TypeHeaders, frame.FlagEndHeaders, 0, []byte{0x82})},
		{"PRIORITY on 0", raw(frame.TypePriority, 0, 0, make([]byte, 5))},
		{"RST_STREAM on 0", raw(frame.TypeRSTStream, 0, 0, make([]byte, 4))},
		{"CONTINUATION on 0", raw(frame.TypeContinuation, frame.FlagEndHeaders, 0, []byte{0x82})},
		{"SETTINGS on 1", raw(frame.TypeSettings, 0, 1, nil)},
		{"PING on 1", raw(frame.TypePing, 0, 1, make([]byte, 8))},
		{"GOAWAY on 1", raw(frame.TypeGoAway, 0, 1, make([]byte, 8))},
		{"WINDOW_UPDATE 0 on 0", raw(frame.TypeWindowUpdate, 0, 0, make([]byte, 4))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.write(tc.f)
			p.wantConnError(frame.ErrCodeProtocol)
		})
	}
}

// Section 5.5 (and 4.1): frames of unknown type are ignored, on any
// stream; inside a header block they are a connection error.
func TestConnUnknownFrames(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(raw(0x16, 0, 0, make([]byte, 8)), raw(0xff, 0xff, 99, []byte("ext")), raw(0x20, 0, 1, nil))
	p.write(&frame.Ping{Data: [8]byte{5}})
	if pg := p.wantFrame(frame.TypePing).(*frame.Ping); !pg.Ack || pg.Data[0] != 5 {
		t.Fatalf("PING %+v", pg)
	}
	p.wantNoEvent()
	if st := p.c.State(99); st != StateIdle {
		t.Fatalf("unknown frame changed stream 99 to %v", st)
	}
	p.get(1, "/")
	wantEvent[*RequestReceived](p)

	q := newPeer(t, Config{Role: Server})
	q.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: q.block(getReq...)})
	q.write(raw(0x16, 0, 0, make([]byte, 8)))
	q.wantConnError(frame.ErrCodeProtocol)
}

// Section 7: unknown error codes mean nothing special.
func TestConnUnknownErrorCode(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.headers(1, false, postReq...)
	p.drain()
	p.write(&frame.RSTStream{StreamID: 1, Code: 0xbad})
	if ev := wantEvent[*StreamReset](p); ev.Code != 0xbad || ev.Initiator != Remote || ev.Retryable {
		t.Fatalf("reset %+v", ev)
	}
	p.wantNoFrame()
}

// wantNoEvent2 checks that no request was reported for a header block
// the connection error interrupted (only ConnectionTerminated).
func (p *peer) wantNoEvent2() {
	p.t.Helper()
	p.collect()
	for _, ev := range p.events {
		switch ev.(type) {
		case *ConnectionTerminated, *WindowUpdated, *SettingsAcked:
		default:
			p.t.Fatalf("unexpected event %T %+v", ev, ev)
		}
	}
	p.events = nil
}
