package frame

import "testing"

func TestRSTStream(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "cancel", in: raw(TypeRSTStream, 0, 1, u32(uint32(ErrCodeCancel))),
			want: &RSTStream{StreamID: 1, Code: ErrCodeCancel}},
		{name: "unknown code", in: raw(TypeRSTStream, 0, 2, u32(0xdeadbeef)),
			want: &RSTStream{StreamID: 2, Code: 0xdeadbeef}},
		{name: "unused flags ignored", in: raw(TypeRSTStream, 0xff, 1<<31|1, u32(0)),
			want: &RSTStream{StreamID: 1}, lossy: true},

		// RFC 9113, Section 6.4.
		{name: "stream 0", in: raw(TypeRSTStream, 0, 0, u32(8)), err: connErr(ErrCodeProtocol)},
		{name: "length 3", in: raw(TypeRSTStream, 0, 1, zeros(3)), err: connErr(ErrCodeFrameSize)},
		{name: "length 5", in: raw(TypeRSTStream, 0, 1, zeros(5)), err: connErr(ErrCodeFrameSize)},
		{name: "length 0", in: raw(TypeRSTStream, 0, 1), err: connErr(ErrCodeFrameSize)},
	})
}
