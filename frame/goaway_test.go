package frame

import "testing"

func TestGoAway(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "no error", in: raw(TypeGoAway, 0, 0, u32(0), u32(0)),
			want: &GoAway{DebugData: []byte{}}},
		{name: "debug data", in: raw(TypeGoAway, 0, 0, u32(7), u32(uint32(ErrCodeEnhanceYourCalm)), []byte("slow down")),
			want: &GoAway{LastStreamID: 7, Code: ErrCodeEnhanceYourCalm, DebugData: []byte("slow down")}},
		{name: "graceful", in: raw(TypeGoAway, 0, 0, u32(MaxWindowSize), u32(0)),
			want: &GoAway{LastStreamID: MaxWindowSize, DebugData: []byte{}}},
		{name: "reserved bits and unused flags ignored", in: raw(TypeGoAway, 0xff, 1<<31, u32(1<<31|5), u32(0x77)),
			want: &GoAway{LastStreamID: 5, Code: 0x77, DebugData: []byte{}}, lossy: true},

		// RFC 9113, Section 6.8.
		{name: "stream 1", in: raw(TypeGoAway, 0, 1, u32(0), u32(0)), err: connErr(ErrCodeProtocol)},
		// RFC 9113, Section 4.2: too small for mandatory fields.
		{name: "length 7", in: raw(TypeGoAway, 0, 0, zeros(7)), err: connErr(ErrCodeFrameSize)},
		{name: "length 0", in: raw(TypeGoAway, 0, 0), err: connErr(ErrCodeFrameSize)},
	})
}
