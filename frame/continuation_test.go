package frame

import "testing"

func TestContinuation(t *testing.T) {
	block := []byte{0x41, 0x8a, 0x08, 0x9d}
	runParseCases(t, []parseCase{
		{name: "end headers", in: raw(TypeContinuation, FlagEndHeaders, 1, block),
			want: &Continuation{StreamID: 1, EndHeaders: true, BlockFragment: block}},
		{name: "more follows", in: raw(TypeContinuation, 0, 3, block),
			want: &Continuation{StreamID: 3, BlockFragment: block}},
		{name: "empty", in: raw(TypeContinuation, 0, 3),
			want: &Continuation{StreamID: 3, BlockFragment: []byte{}}},
		{name: "unused flags ignored", in: raw(TypeContinuation, 0xfb, 1<<31|3, block),
			want: &Continuation{StreamID: 3, BlockFragment: block}, lossy: true},

		// RFC 9113, Section 6.10.
		{name: "stream 0", in: raw(TypeContinuation, FlagEndHeaders, 0, block), err: connErr(ErrCodeProtocol)},
		{name: "above max frame size", in: raw(TypeContinuation, 0, 1, zeros(DefaultMaxFrameSize+1)), err: connErr(ErrCodeFrameSize)},
	})
}
