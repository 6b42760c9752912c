package frame

import (
	"bytes"
	"testing"
)

// mixedFrames is one of each frame type, as a client and server might
// exchange them.
func mixedFrames() []Frame {
	return []Frame{
		&Settings{Settings: []Setting{{SettingMaxConcurrentStreams, 100}, {SettingInitialWindowSize, 1 << 20}, {SettingEnablePush, 0}}},
		&Settings{Ack: true},
		&WindowUpdate{Increment: 1 << 20},
		&Headers{StreamID: 1, EndHeaders: true, HasPriority: true, Priority: PriorityParam{Weight: 15},
			BlockFragment: bytes.Repeat([]byte{0x82}, 40)},
		&Headers{StreamID: 3, Padded: true, PadLength: 5, BlockFragment: bytes.Repeat([]byte{0x84}, 30)},
		&Continuation{StreamID: 3, EndHeaders: true, BlockFragment: bytes.Repeat([]byte{0x86}, 10)},
		&Data{StreamID: 1, Data: bytes.Repeat([]byte("d"), 1000)},
		&Data{StreamID: 3, EndStream: true, Padded: true, PadLength: 7, Data: bytes.Repeat([]byte("e"), 500)},
		&Priority{StreamID: 5, PriorityParam: PriorityParam{StreamDep: 1, Exclusive: true, Weight: 200}},
		&PushPromise{StreamID: 1, EndHeaders: true, PromisedID: 2, BlockFragment: bytes.Repeat([]byte{0x87}, 20)},
		&Ping{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		&Ping{Ack: true, Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		&RSTStream{StreamID: 3, Code: ErrCodeCancel},
		&PriorityUpdate{PrioritizedID: 7, FieldValue: []byte("u=2, i")},
		&Unknown{Hdr: Header{Length: 9, Type: 0xb5, Flags: 0x3, StreamID: 9}, Payload: []byte("extension")},
		&WindowUpdate{StreamID: 1, Increment: 1000},
		&GoAway{LastStreamID: 3, Code: ErrCodeNo, DebugData: []byte("bye")},
	}
}

func appendAll(dst []byte, frames []Frame) []byte {
	for _, f := range frames {
		dst = f.Append(dst)
	}
	return dst
}

func TestParseStream(t *testing.T) {
	frames := mixedFrames()
	buf := appendAll(nil, frames)
	var p Parser
	for i, want := range frames {
		f, n, err := p.Parse(buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if frameString(f) != frameString(want) {
			t.Errorf("frame %d = %s, want %s", i, frameString(f), frameString(want))
		}
		if n != HeaderLen+want.Len() {
			t.Errorf("frame %d: n = %d, want %d", i, n, HeaderLen+want.Len())
		}
		if p.LastHeader() != want.FrameHeader() {
			t.Errorf("frame %d: LastHeader = %+v, want %+v", i, p.LastHeader(), want.FrameHeader())
		}
		buf = buf[n:]
	}
	if len(buf) != 0 {
		t.Errorf("%d bytes left", len(buf))
	}
}

// Feeding the stream in every chunk size gives the same frames.
func TestParseChunked(t *testing.T) {
	frames := mixedFrames()
	all := appendAll(nil, frames)
	for _, chunk := range []int{1, 2, 7, 9, 10, 100, 4096} {
		var p Parser
		var pending []byte
		got := 0
		for off := 0; off < len(all); off += chunk {
			pending = append(pending, all[off:min(off+chunk, len(all))]...)
			for {
				f, n, err := p.Parse(pending)
				if err != nil {
					t.Fatalf("chunk %d: %v", chunk, err)
				}
				if n == 0 {
					break
				}
				if frameString(f) != frameString(frames[got]) {
					t.Fatalf("chunk %d: frame %d = %s", chunk, got, frameString(f))
				}
				got++
				pending = pending[n:]
			}
		}
		if got != len(frames) || len(pending) != 0 {
			t.Errorf("chunk %d: parsed %d frames, %d bytes left", chunk, got, len(pending))
		}
	}
}

// RFC 9113, Section 4.2: an oversized frame is reported from its header
// alone, before its payload arrives.
func TestParseOversizeFromHeader(t *testing.T) {
	for _, c := range []struct {
		max    uint32
		length uint32
		bad    bool
	}{
		{0, DefaultMaxFrameSize, false},
		{0, DefaultMaxFrameSize + 1, true},
		{0, MaxMaxFrameSize, true},
		{1 << 20, 1 << 20, false},
		{1 << 20, 1<<20 + 1, true},
		{MaxMaxFrameSize, MaxMaxFrameSize, false},
	} {
		for _, typ := range []Type{TypeData, TypeHeaders, TypeSettings, TypePing, 0x77} {
			var p Parser
			p.MaxFrameSize = c.max
			hdr := Header{Length: c.length, Type: typ, StreamID: 1}
			f, n, err := p.Parse(hdr.Append(nil))
			if !c.bad {
				if f != nil || n != 0 || err != nil {
					t.Errorf("max %d, %v length %d: Parse(header) = %v, %d, %v; want need more", c.max, typ, c.length, f, n, err)
				}
				continue
			}
			checkError(t, f, n, err, connErr(ErrCodeFrameSize), 0)
			if p.LastHeader() != hdr {
				t.Errorf("LastHeader() = %+v, want %+v", p.LastHeader(), hdr)
			}
		}
	}
}

func TestParseNeedMore(t *testing.T) {
	var p Parser
	for _, b := range [][]byte{nil, {}, {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 0, 1}} {
		if f, n, err := p.Parse(b); f != nil || n != 0 || err != nil {
			t.Errorf("Parse(% x) = %v, %d, %v; want need more", b, f, n, err)
		}
	}
}

// Appending to a payload slice of a parsed frame must not overwrite the
// next frame in the buffer.
func TestParsePayloadCapacity(t *testing.T) {
	buf := append(raw(TypeData, 0, 1, []byte("ab")), raw(TypePing, 0, 0, zeros(8))...)
	var p Parser
	f, n, _ := p.Parse(buf)
	d := f.(*Data)
	_ = append(d.Data, "XXXXXXXX"...)
	if _, _, err := p.Parse(buf[n:]); err != nil {
		t.Fatalf("the next frame was overwritten: %v", err)
	}
}

func TestParseAllocs(t *testing.T) {
	buf := appendAll(nil, mixedFrames())
	var p Parser
	parseAll := func() {
		for b := buf; len(b) > 0; {
			_, n, err := p.Parse(b)
			if err != nil || n == 0 {
				panic("parse failed")
			}
			b = b[n:]
		}
	}
	parseAll() // grow the reused []Setting
	if n := testing.AllocsPerRun(100, parseAll); n != 0 {
		t.Errorf("parsing a stream of mixed frames allocates %v times, want 0", n)
	}
}

func TestAppendAllocs(t *testing.T) {
	frames := mixedFrames()
	buf := make([]byte, 0, 1<<16)
	if n := testing.AllocsPerRun(100, func() { buf = appendAll(buf[:0], frames) }); n != 0 {
		t.Errorf("appending frames allocates %v times, want 0", n)
	}
}

func TestSummaryAllocs(t *testing.T) {
	frames := mixedFrames()
	buf := make([]byte, 0, 1<<16)
	if n := testing.AllocsPerRun(100, func() {
		buf = buf[:0]
		for _, f := range frames {
			buf = AppendSummary(buf, f, Header{}, "          ")
		}
	}); n != 0 {
		t.Errorf("AppendSummary allocates %v times, want 0", n)
	}
}
