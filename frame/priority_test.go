package frame

import "testing"

func TestPriority(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "default", in: raw(TypePriority, 0, 3, u32(0), []byte{15}),
			want: &Priority{StreamID: 3, PriorityParam: PriorityParam{Weight: 15}}},
		{name: "exclusive", in: raw(TypePriority, 0, 9, u32(1<<31|7), []byte{200}),
			want: &Priority{StreamID: 9, PriorityParam: PriorityParam{StreamDep: 7, Exclusive: true, Weight: 200}}},
		{name: "max ids", in: raw(TypePriority, 0, MaxWindowSize-2, u32(1<<32-1), []byte{255}),
			want: &Priority{StreamID: MaxWindowSize - 2, PriorityParam: PriorityParam{StreamDep: MaxWindowSize, Exclusive: true, Weight: 255}}},
		{name: "unused flags ignored", in: raw(TypePriority, 0xff, 1<<31|3, u32(1), []byte{0}),
			want: &Priority{StreamID: 3, PriorityParam: PriorityParam{StreamDep: 1}}, lossy: true},

		// RFC 9113, Section 6.3.
		{name: "stream 0", in: raw(TypePriority, 0, 0, u32(1), []byte{0}), err: connErr(ErrCodeProtocol)},
		{name: "length 4", in: raw(TypePriority, 0, 3, u32(1)), err: streamErr(ErrCodeFrameSize, 3)},
		{name: "length 6", in: raw(TypePriority, 0, 3, u32(1), []byte{0, 0}), err: streamErr(ErrCodeFrameSize, 3)},
		{name: "length 0", in: raw(TypePriority, 0, 7), err: streamErr(ErrCodeFrameSize, 7)},
		// RFC 7540, Section 5.3.1.
		{name: "depends on itself", in: raw(TypePriority, 0, 3, u32(3), []byte{0}), err: streamErr(ErrCodeProtocol, 3)},
		{name: "depends on itself exclusive", in: raw(TypePriority, 0, 3, u32(1<<31|3), []byte{0}), err: streamErr(ErrCodeProtocol, 3)},
		// The stream-0 check wins over the length check.
		{name: "stream 0 length 4", in: raw(TypePriority, 0, 0, u32(1)), err: connErr(ErrCodeProtocol)},
	})
}

// A stream error consumes the frame: the next frame parses normally.
func TestPriorityStreamErrorSkips(t *testing.T) {
	in := append(raw(TypePriority, 0, 3, u32(1)), raw(TypePing, 0, 0, zeros(8))...)
	var p Parser
	_, n, err := p.Parse(in)
	if err == nil || n != HeaderLen+4 {
		t.Fatalf("Parse = %d, %v; want stream error consuming %d bytes", n, err, HeaderLen+4)
	}
	f, m, err := p.Parse(in[n:])
	if err != nil || m != HeaderLen+8 {
		t.Fatalf("Parse after skip = %v, %d, %v", f, m, err)
	}
	if _, ok := f.(*Ping); !ok {
		t.Fatalf("Parse after skip = %T, want *Ping", f)
	}
}
