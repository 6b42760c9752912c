package frame

import "testing"

func TestWindowUpdate(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "connection", in: raw(TypeWindowUpdate, 0, 0, u32(36114)),
			want: &WindowUpdate{Increment: 36114}},
		{name: "stream", in: raw(TypeWindowUpdate, 0, 15, u32(1)),
			want: &WindowUpdate{StreamID: 15, Increment: 1}},
		{name: "max", in: raw(TypeWindowUpdate, 0, 1, u32(MaxWindowSize)),
			want: &WindowUpdate{StreamID: 1, Increment: MaxWindowSize}},
		{name: "reserved bits and unused flags ignored", in: raw(TypeWindowUpdate, 0xff, 1<<31|3, u32(1<<31|10)),
			want: &WindowUpdate{StreamID: 3, Increment: 10}, lossy: true},

		// RFC 9113, Section 6.9.
		{name: "zero on stream", in: raw(TypeWindowUpdate, 0, 3, u32(0)), err: streamErr(ErrCodeProtocol, 3)},
		{name: "zero with reserved bit on stream", in: raw(TypeWindowUpdate, 0, 3, u32(1<<31)), err: streamErr(ErrCodeProtocol, 3)},
		{name: "zero on connection", in: raw(TypeWindowUpdate, 0, 0, u32(0)), err: connErr(ErrCodeProtocol)},
		{name: "length 3", in: raw(TypeWindowUpdate, 0, 1, zeros(3)), err: connErr(ErrCodeFrameSize)},
		{name: "length 5", in: raw(TypeWindowUpdate, 0, 0, u32(1), zeros(1)), err: connErr(ErrCodeFrameSize)},
		{name: "length 8 on stream", in: raw(TypeWindowUpdate, 0, 9, u32(1), u32(1)), err: connErr(ErrCodeFrameSize)},
	})
}
