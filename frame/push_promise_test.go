package frame

import "testing"

func TestPushPromise(t *testing.T) {
	block := []byte{0x82, 0x84, 0x86}
	runParseCases(t, []parseCase{
		{name: "plain", in: raw(TypePushPromise, FlagEndHeaders, 1, u32(2), block),
			want: &PushPromise{StreamID: 1, EndHeaders: true, PromisedID: 2, BlockFragment: block}},
		{name: "no block", in: raw(TypePushPromise, 0, 1, u32(4)),
			want: &PushPromise{StreamID: 1, PromisedID: 4, BlockFragment: []byte{}}},
		{name: "padded", in: raw(TypePushPromise, FlagPadded|FlagEndHeaders, 3, []byte{2}, u32(6), block, zeros(2)),
			want: &PushPromise{StreamID: 3, EndHeaders: true, Padded: true, PadLength: 2, PromisedID: 6, BlockFragment: block}},
		{name: "padded exact fit", in: raw(TypePushPromise, FlagPadded, 3, []byte{1}, u32(6), zeros(1)),
			want: &PushPromise{StreamID: 3, Padded: true, PadLength: 1, PromisedID: 6, BlockFragment: []byte{}}},
		{name: "reserved bits and unused flags ignored", in: raw(TypePushPromise, 0xf3|FlagEndHeaders, 1<<31|1, u32(1<<31|2), block),
			want: &PushPromise{StreamID: 1, EndHeaders: true, PromisedID: 2, BlockFragment: block}, lossy: true},

		// RFC 9113, Section 6.6.
		{name: "stream 0", in: raw(TypePushPromise, FlagEndHeaders, 0, u32(2), block), err: connErr(ErrCodeProtocol)},
		{name: "promised 0", in: raw(TypePushPromise, FlagEndHeaders, 1, u32(0), block), err: connErr(ErrCodeProtocol)},
		{name: "promised 0 reserved bit", in: raw(TypePushPromise, FlagEndHeaders, 1, u32(1<<31), block), err: connErr(ErrCodeProtocol)},
		{name: "padded empty", in: raw(TypePushPromise, FlagPadded, 1), err: connErr(ErrCodeFrameSize)},
		{name: "pad length equals payload", in: raw(TypePushPromise, FlagPadded, 1, []byte{5}, u32(2)), err: connErr(ErrCodeProtocol)},
		{name: "padding overlaps promised id", in: raw(TypePushPromise, FlagPadded, 1, []byte{1}, u32(2)), err: connErr(ErrCodeProtocol)},
		// RFC 9113, Section 4.2: too small for mandatory fields.
		{name: "length 3", in: raw(TypePushPromise, 0, 1, zeros(3)), err: connErr(ErrCodeFrameSize)},
		{name: "padded length 4", in: raw(TypePushPromise, FlagPadded, 1, []byte{0}, zeros(3)), err: connErr(ErrCodeFrameSize)},
	})
}
