package h2kit

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Section 4.3: a field block that cannot be decoded is a connection
// error of type COMPRESSION_ERROR (the HPACK cases of h2spec among them).
func TestHeadersCompressionErrors(t *testing.T) {
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
func TestHeadersFieldBlocks(t *testing.T) {
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

// Section 6.10: a header block is HEADERS or PUSH_PROMISE plus
// CONTINUATION frames on the same stream, nothing in between.
func TestHeadersContinuation(t *testing.T) {
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

// TestHeaderBlocksInOneReceive: the fields of many requests decoded in
// one Receive all stay valid until the events are read, though the
// blocks add entries that wrap the decoder's table storage again and
// again, evicting entries earlier requests of the same Receive refer
// to by index (their strings alias that storage until the decoder
// copies them out).
func TestHeaderBlocksInOneReceive(t *testing.T) {
	p := newPeer(t, Config{Role: Server})
	const n = 90
	fixed := strings.Repeat("f", 200)
	var b []byte
	var want [][]hpack.Field
	for i := range n {
		id := uint32(2*i + 1)
		fs := fields(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"+strconv.Itoa(i),
			"x-fixed", fixed, "x-new-"+strconv.Itoa(i), strings.Repeat(strconv.Itoa(i%10), 100))
		want = append(want, fs)
		b = (&frame.Headers{StreamID: id, EndStream: true, EndHeaders: true, BlockFragment: p.enc.Encode(nil, fs)}).Append(b)
	}
	p.writeRaw(b)
	reqs := eventsOf[*RequestReceived](p.events)
	if len(reqs) != n {
		t.Fatalf("%d requests, want %d (error %v)", len(reqs), n, p.err)
	}
	for i, r := range reqs {
		if !reflect.DeepEqual(r.Fields, want[i]) {
			t.Fatalf("request %d: fields %v, want %v", i, r.Fields, want[i])
		}
	}
}

// TestEventsQueuedAcrossReceive: request events an application has not
// read yet when it calls Receive again keep their fields (the engine
// releases the decoded fields only once every event was read).
func TestEventsQueuedAcrossReceive(t *testing.T) {
	c := NewConn(Config{Role: Server}, t0)
	enc := hpack.NewEncoder()
	in := []byte(frame.ClientPreface)
	in = (&frame.Settings{}).Append(in)
	c.Receive(in, t0)
	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
	}
	var want [][]hpack.Field
	for i := range 6 {
		fs := fields(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"+strconv.Itoa(i),
			"x-value", strings.Repeat(strconv.Itoa(i), 50+i))
		want = append(want, fs)
		b := (&frame.Headers{StreamID: uint32(2*i + 1), EndStream: true, EndHeaders: true, BlockFragment: enc.Encode(nil, fs)}).Append(nil)
		if _, err := c.Receive(b, t0); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]hpack.Field
	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
		if r, ok := ev.(*RequestReceived); ok {
			got = append(got, slices.Clone(r.Fields))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields after six Receives:\n got %q\nwant %q", got, want)
	}
}
