package frame

import "testing"

func TestUnknown(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "extension", in: raw(0x42, 0xff, 7, []byte("payload")),
			want: &Unknown{Hdr: Header{Length: 7, Type: 0x42, Flags: 0xff, StreamID: 7}, Payload: []byte("payload")}},
		{name: "empty on stream 0", in: raw(0xff, 0, 0),
			want: &Unknown{Hdr: Header{Type: 0xff}, Payload: []byte{}}},
		{name: "ALTSVC is unknown here", in: raw(0xa, 0, 0, u16(0), []byte("h2=\":443\"")),
			want: &Unknown{Hdr: Header{Length: 11, Type: 0xa}, Payload: append(u16(0), "h2=\":443\""...)}},
		{name: "reserved bit masked", in: raw(0x11, 0, 1<<31|9, []byte("x")),
			want: &Unknown{Hdr: Header{Length: 1, Type: 0x11, StreamID: 9}, Payload: []byte("x")}, lossy: true},

		// RFC 9113, Section 4.2 applies to every frame.
		{name: "above max frame size", in: raw(0x42, 0, 0, zeros(DefaultMaxFrameSize+1)), err: connErr(ErrCodeFrameSize)},
	})
}

func TestUnknownFrameHeaderUsesPayloadLength(t *testing.T) {
	f := &Unknown{Hdr: Header{Length: 99, Type: 0xbb, Flags: 0x3, StreamID: 1<<31 | 5}, Payload: []byte("ab")}
	want := raw(0xbb, 0x3, 5, []byte("ab"))
	if got := f.Append(nil); string(got) != string(want) {
		t.Errorf("Append = % x, want % x", got, want)
	}
	if h := f.FrameHeader(); h.Length != 2 {
		t.Errorf("FrameHeader().Length = %d, want 2", h.Length)
	}
}
