package frame

import "testing"

func TestHeaders(t *testing.T) {
	block := []byte{0x82, 0x86, 0x84}
	runParseCases(t, []parseCase{
		{name: "plain", in: raw(TypeHeaders, FlagEndHeaders, 1, block),
			want: &Headers{StreamID: 1, EndHeaders: true, BlockFragment: block}},
		{name: "end stream no end headers", in: raw(TypeHeaders, FlagEndStream, 3, block),
			want: &Headers{StreamID: 3, EndStream: true, BlockFragment: block}},
		{name: "empty block", in: raw(TypeHeaders, FlagEndHeaders|FlagEndStream, 1),
			want: &Headers{StreamID: 1, EndStream: true, EndHeaders: true, BlockFragment: []byte{}}},
		{name: "priority", in: raw(TypeHeaders, FlagEndHeaders|FlagEndStream|FlagPriority, 13, u32(11), []byte{15}, block),
			want: &Headers{StreamID: 13, EndStream: true, EndHeaders: true, HasPriority: true,
				Priority: PriorityParam{StreamDep: 11, Weight: 15}, BlockFragment: block}},
		{name: "priority exclusive", in: raw(TypeHeaders, FlagPriority, 13, u32(1<<31|3), []byte{255}),
			want: &Headers{StreamID: 13, HasPriority: true,
				Priority: PriorityParam{StreamDep: 3, Exclusive: true, Weight: 255}, BlockFragment: []byte{}}},
		{name: "padded", in: raw(TypeHeaders, FlagPadded|FlagEndHeaders, 1, []byte{4}, block, zeros(4)),
			want: &Headers{StreamID: 1, EndHeaders: true, Padded: true, PadLength: 4, BlockFragment: block}},
		{name: "padded priority", in: raw(TypeHeaders, FlagPadded|FlagPriority, 1, []byte{2}, u32(0), []byte{41}, block, zeros(2)),
			want: &Headers{StreamID: 1, Padded: true, PadLength: 2, HasPriority: true,
				Priority: PriorityParam{Weight: 41}, BlockFragment: block}},
		{name: "padded priority exact fit", in: raw(TypeHeaders, FlagPadded|FlagPriority, 1, []byte{1}, u32(0), []byte{0}, zeros(1)),
			want: &Headers{StreamID: 1, Padded: true, PadLength: 1, HasPriority: true, BlockFragment: []byte{}}},
		{name: "self dependency is the caller's check", in: raw(TypeHeaders, FlagPriority|FlagEndHeaders, 5, u32(5), []byte{0}, block),
			want: &Headers{StreamID: 5, EndHeaders: true, HasPriority: true,
				Priority: PriorityParam{StreamDep: 5}, BlockFragment: block}},
		{name: "unused flags and reserved bits ignored", in: raw(TypeHeaders, 0xd2|FlagEndHeaders, 1<<31|1, block),
			want: &Headers{StreamID: 1, EndHeaders: true, BlockFragment: block}, lossy: true},

		// RFC 9113, Section 6.2.
		{name: "stream 0", in: raw(TypeHeaders, FlagEndHeaders, 0, block), err: connErr(ErrCodeProtocol)},
		{name: "padded empty", in: raw(TypeHeaders, FlagPadded, 1), err: connErr(ErrCodeFrameSize)},
		{name: "pad length equals payload", in: raw(TypeHeaders, FlagPadded, 1, []byte{3}, zeros(2)), err: connErr(ErrCodeProtocol)},
		{name: "pad length exceeds payload", in: raw(TypeHeaders, FlagPadded, 1, []byte{9}, zeros(2)), err: connErr(ErrCodeProtocol)},
		{name: "padding overlaps priority", in: raw(TypeHeaders, FlagPadded|FlagPriority, 1, []byte{2}, u32(0), []byte{0}, zeros(1)), err: connErr(ErrCodeProtocol)},
		// RFC 9113, Section 4.2: too small for mandatory fields.
		{name: "priority too short", in: raw(TypeHeaders, FlagPriority, 1, zeros(4)), err: connErr(ErrCodeFrameSize)},
		{name: "padded priority too short", in: raw(TypeHeaders, FlagPriority|FlagPadded, 1, []byte{0}, zeros(4)), err: connErr(ErrCodeFrameSize)},
		{name: "above max frame size", in: raw(TypeHeaders, 0, 1, zeros(DefaultMaxFrameSize+1)), err: connErr(ErrCodeFrameSize)},
	})
}
