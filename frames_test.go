package h2kit

// Frames as the engine sees them: RFC 9113, Section 4.1 (format), 4.2
// (size), 4.3 (field blocks and HPACK errors), 5.5 (extensions), 6.x
// (per-type rules the engine applies) and 6.10 (CONTINUATION).

import (
	"testing"

	"github.com/h2kit/h2kit/frame"
)

// raw builds one frame from its header fields and payload, as given: any
// type, flags, length.
func raw(typ frame.Type, flags frame.Flags, id uint32, payload []byte) *frame.Unknown {
	return &frame.Unknown{Hdr: frame.Header{Type: typ, Flags: flags, StreamID: id}, Payload: payload}
}

// Section 4.1: flags a type does not define are ignored, and so is the
// reserved bit of the stream identifier.
func TestUnusedFlagsAndReservedBitSection4_1(t *testing.T) {
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
func TestFrameSizeSection4_2(t *testing.T) {
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
func TestFrameLengthsSection4_2(t *testing.T) {
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

// Sections 6.1, 6.2: padding as long as the payload is a connection
// error PROTOCOL_ERROR; valid padding is flow controlled, not delivered.
func TestPaddingSection6_1(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.write(&frame.Headers{StreamID: 1, EndHeaders: true, Padded: true, PadLength: 20, BlockFragment: p.block(postReq...)})
	wantEvent[*RequestReceived](p)
	p.write(&frame.Data{StreamID: 1, Padded: true, PadLength: 10, Data: []byte("abc")})
	if ev := wantEvent[*DataReceived](p); string(ev.Data) != "abc" || ev.FlowControlledLen != 14 {
		t.Fatalf("data %+v", ev)
	}
	for name, f := range map[string]*frame.Unknown{
		"DATA":    raw(frame.TypeData, frame.FlagPadded, 1, []byte{5, 't', 'e', 's', 't'}),
		"HEADERS": raw(frame.TypeHeaders, frame.FlagPadded|frame.FlagEndHeaders, 3, append([]byte{3}, 0x82, 0x84)),
	} {
		q := newPeer(t, Config{Role: Server})
		q.headers(1, false, postReq...)
		q.write(f)
		q.wantConnError(frame.ErrCodeProtocol)
		if q.err.(*ConnError).Reason == "" {
			t.Errorf("%s: no reason", name)
		}
	}
}

// Sections 6.x: frames that must (or must not) name a stream.
func TestStreamZeroSection6(t *testing.T) {
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

// Section 4.3: a field block that cannot be decoded is a connection
// error of type COMPRESSION_ERROR (the HPACK cases of h2spec among them).
func TestCompressionErrorsSection4_3(t *testing.T) {
	for name, blk := range map[string][]byte{
		"truncated literal":               {0x40},
		"index 0 (RFC 7541, 6.1)":         {0x80},
		"index past the tables":           {0xbe},
		"name index past the tables":      {0x7f, 0x07, 0x01, 'x'},
		"size update after a field (4.2)": {0x82, 0x20},
		"size update above SETTINGS":      {0x3f, 0xe2, 0x1f, 0x82},
		"Huffman padding over 7 bits":     {0x00, 0x82, 0x1f, 0xff, 0x01, 'x'},
		"Huffman padding not EOS":         {0x00, 0x81, 0x18, 0x01, 'x'},
		"Huffman EOS":                     {0x00, 0x85, 0x1f, 0xff, 0xff, 0xff, 0xff, 0x01, 'x'},
		"integer overflow":                {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"string past the block":           {0x00, 0x05, 'a'},
	} {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: blk})
			p.wantConnError(frame.ErrCodeCompression)
		})
	}
	// The same on the client side, and across CONTINUATION.
	c := newPeer(t, Config{Role: Client})
	id := c.request(getReq, true)
	c.write(&frame.Headers{StreamID: id, EndHeaders: false, BlockFragment: []byte{0x88}},
		&frame.Continuation{StreamID: id, EndHeaders: true, BlockFragment: []byte{0x80}})
	c.wantConnError(frame.ErrCodeCompression)
}

// Section 4.3: valid HPACK the engine must take: size updates at the
// start of a block, a field split across frames, and the decoder state
// kept across a malformed (reset) request.
func TestFieldBlocksSection4_3(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	// Two size updates (0, then 4096) at the start (h2spec hpack/6.3).
	p.write(&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true,
		BlockFragment: append([]byte{0x20, 0x3f, 0xe1, 0x1f}, rawBlock(getReq...)...)})
	wantEvent[*RequestReceived](p)
	// A block split inside a field, one byte per frame.
	blk := rawBlock(append(getReq, "x-split", "value")...)
	fs := []frame.Frame{&frame.Headers{StreamID: 3, EndStream: true, BlockFragment: blk[:1]}}
	for i := 1; i < len(blk) && i < 60; i++ {
		fs = append(fs, &frame.Continuation{StreamID: 3, EndHeaders: i == len(blk)-1, BlockFragment: blk[i : i+1]})
	}
	if len(blk) > 60 {
		fs = append(fs, &frame.Continuation{StreamID: 3, EndHeaders: true, BlockFragment: blk[60:]})
	}
	p.write(fs...)
	if ev := wantEvent[*RequestReceived](p); fieldValue(ev.Fields, "x-split") != "value" {
		t.Fatalf("request %+v", ev)
	}
	// A malformed request indexes x-a; the next request refers to it.
	p.write(&frame.Headers{StreamID: 5, EndStream: true, EndHeaders: true,
		BlockFragment: append(append(rawBlock(getReq...), lit(true, "x-a", "b")...), rawBlock("connection", "close")...)})
	p.wantRST(5, frame.ErrCodeProtocol)
	p.drainEvents()
	p.write(&frame.Headers{StreamID: 7, EndStream: true, EndHeaders: true, BlockFragment: append(rawBlock(getReq...), 0x80|62)})
	if ev := wantEvent[*RequestReceived](p); ev.StreamID != 7 || fieldValue(ev.Fields, "x-a") != "b" {
		t.Fatalf("request %+v", ev)
	}
}

// Section 5.5 (and 4.1): frames of unknown type are ignored, on any
// stream; inside a header block they are a connection error.
func TestUnknownFramesSection5_5(t *testing.T) {
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
func TestUnknownErrorCodeSection7(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	p.headers(1, false, postReq...)
	p.drain()
	p.write(&frame.RSTStream{StreamID: 1, Code: 0xbad})
	if ev := wantEvent[*StreamReset](p); ev.Code != 0xbad || ev.Initiator != Remote || ev.Retryable {
		t.Fatalf("reset %+v", ev)
	}
	p.wantNoFrame()
}

// Section 6.10: a header block is HEADERS or PUSH_PROMISE plus
// CONTINUATION frames on the same stream, nothing in between.
func TestContinuationSection6_10(t *testing.T) {
	t.Run("several CONTINUATIONs", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		blk := p.block(append(getReq, "x-1", "a", "x-2", "b")...)
		n := len(blk) / 3
		p.write(&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: blk[:n]},
			&frame.Continuation{StreamID: 1, BlockFragment: blk[n : 2*n]},
			&frame.Continuation{StreamID: 1, BlockFragment: nil},
			&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: blk[2*n:]})
		ev := wantEvent[*RequestReceived](p)
		if !ev.EndStream || fieldValue(ev.Fields, "x-2") != "b" {
			t.Fatalf("request %+v", ev)
		}
		if st := p.c.State(1); st != StateHalfClosedRemote {
			t.Fatalf("state %v", st)
		}
	})
	inBlock := map[string]frame.Frame{
		"DATA":                      &frame.Data{StreamID: 1, Data: []byte("x")},
		"PRIORITY":                  &frame.Priority{StreamID: 1, PriorityParam: frame.PriorityParam{Weight: 255}},
		"malformed PRIORITY":        raw(frame.TypePriority, 0, 1, make([]byte, 4)),
		"PING":                      &frame.Ping{},
		"SETTINGS":                  &frame.Settings{},
		"WINDOW_UPDATE":             &frame.WindowUpdate{StreamID: 0, Increment: 1},
		"RST_STREAM":                &frame.RSTStream{StreamID: 1, Code: frame.ErrCodeCancel},
		"HEADERS on another stream": &frame.Headers{StreamID: 3, EndStream: true, EndHeaders: true, BlockFragment: []byte{0x82, 0x87, 0x84}},
		"HEADERS on the stream":     &frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: []byte{0x82}},
		"CONTINUATION elsewhere":    &frame.Continuation{StreamID: 3, EndHeaders: true, BlockFragment: []byte{0x82}},
		"CONTINUATION on 0":         raw(frame.TypeContinuation, frame.FlagEndHeaders, 0, []byte{0x82}),
		"unknown frame":             raw(0x16, 0, 0, make([]byte, 8)),
	}
	for name, f := range inBlock {
		t.Run("HEADERS then "+name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.write(&frame.Headers{StreamID: 1, BlockFragment: p.block(postReq...)})
			p.write(&frame.Continuation{StreamID: 1, BlockFragment: nil})
			p.write(f)
			p.wantConnError(frame.ErrCodeProtocol)
			p.wantNoEvent2()
		})
	}
	t.Run("PUSH_PROMISE then DATA", func(t *testing.T) {
		p := newPeer(t, Config{Role: Client})
		id := p.request(getReq, true)
		p.write(&frame.PushPromise{StreamID: id, PromisedID: 2, BlockFragment: p.block(pushReq...)},
			&frame.Data{StreamID: id, Data: []byte("x")})
		p.wantConnError(frame.ErrCodeProtocol)
	})
	t.Run("PUSH_PROMISE with CONTINUATION", func(t *testing.T) {
		p := newPeer(t, Config{Role: Client})
		id := p.request(getReq, true)
		blk := p.block(pushReq...)
		p.write(&frame.PushPromise{StreamID: id, PromisedID: 2, BlockFragment: blk[:3]},
			&frame.Continuation{StreamID: id, EndHeaders: true, BlockFragment: blk[3:]})
		if ev := wantEvent[*PushPromiseReceived](p); ev.PromisedStreamID != 2 || fieldValue(ev.Fields, ":path") != "/pushed" {
			t.Fatalf("promise %+v", ev)
		}
	})
	for name, pre := range map[string][]frame.Frame{
		"after END_HEADERS on HEADERS":      {&frame.Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: []byte{0x82, 0x87, 0x84, 0x41, 1, 'a'}}},
		"after END_HEADERS on CONTINUATION": {&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: []byte{0x82, 0x87}}, &frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: []byte{0x84, 0x41, 1, 'a'}}},
		"after DATA":                        {&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: []byte{0x83, 0x87, 0x84, 0x41, 1, 'a'}}, &frame.Data{StreamID: 1, Data: []byte("x")}},
		"first frame":                       nil,
	} {
		t.Run("CONTINUATION "+name, func(t *testing.T) {
			p := newPeer(t, Config{Role: Server})
			p.write(pre...)
			p.write(&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: []byte{0x82}})
			p.wantConnError(frame.ErrCodeProtocol)
		})
	}
	t.Run("one byte at a time", func(t *testing.T) {
		p := newPeer(t, Config{Role: Server})
		blk := p.block(getReq...)
		var b []byte
		b = (&frame.Headers{StreamID: 1, EndStream: true, BlockFragment: blk[:2]}).Append(b)
		b = (&frame.Continuation{StreamID: 1, BlockFragment: blk[2:4]}).Append(b)
		b = (&frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: blk[4:]}).Append(b)
		p.feed(b, 1)
		if ev := wantEvent[*RequestReceived](p); ev.StreamID != 1 || fieldValue(ev.Fields, ":path") != "/" {
			t.Fatalf("request %+v", ev)
		}
	})
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
