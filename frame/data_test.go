package frame

import "testing"

func TestData(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "plain", in: raw(TypeData, 0, 1, []byte("hello")),
			want: &Data{StreamID: 1, Data: []byte("hello")}},
		{name: "empty end stream", in: raw(TypeData, FlagEndStream, 3),
			want: &Data{StreamID: 3, EndStream: true, Data: []byte{}}},
		{name: "padded", in: raw(TypeData, FlagPadded|FlagEndStream, 5, []byte{3}, []byte("abc"), zeros(3)),
			want: &Data{StreamID: 5, EndStream: true, Padded: true, PadLength: 3, Data: []byte("abc")}},
		{name: "padded zero pad length", in: raw(TypeData, FlagPadded, 5, []byte{0}, []byte("x")),
			want: &Data{StreamID: 5, Padded: true, Data: []byte("x")}},
		{name: "padded only padding", in: raw(TypeData, FlagPadded, 5, []byte{2}, zeros(2)),
			want: &Data{StreamID: 5, Padded: true, PadLength: 2, Data: []byte{}}},
		{name: "max stream id", in: raw(TypeData, 0, MaxWindowSize, []byte("a")),
			want: &Data{StreamID: MaxWindowSize, Data: []byte("a")}},
		{name: "unused flags and reserved bit ignored", in: raw(TypeData, 0xf6, 1<<31|7, []byte("a")),
			want: &Data{StreamID: 7, Data: []byte("a")}, lossy: true},
		{name: "non-zero padding accepted", in: raw(TypeData, FlagPadded, 1, []byte{1}, []byte("a"), []byte{9}),
			want: &Data{StreamID: 1, Padded: true, PadLength: 1, Data: []byte("a")}, lossy: true},
		{name: "max frame size", in: raw(TypeData, 0, 1, zeros(DefaultMaxFrameSize)),
			want: &Data{StreamID: 1, Data: zeros(DefaultMaxFrameSize)}},

		// RFC 9113, Section 6.1.
		{name: "stream 0", in: raw(TypeData, 0, 0, []byte("a")), err: connErr(ErrCodeProtocol)},
		{name: "stream 0 reserved bit", in: raw(TypeData, 0, 1<<31, []byte("a")), err: connErr(ErrCodeProtocol)},
		{name: "padded empty", in: raw(TypeData, FlagPadded, 1), err: connErr(ErrCodeFrameSize)},
		{name: "pad length equals payload", in: raw(TypeData, FlagPadded, 1, []byte{1}), err: connErr(ErrCodeProtocol)},
		{name: "pad length exceeds payload", in: raw(TypeData, FlagPadded, 1, []byte{200}, zeros(3)), err: connErr(ErrCodeProtocol)},
		// RFC 9113, Section 4.2.
		{name: "above max frame size", in: raw(TypeData, 0, 1, zeros(DefaultMaxFrameSize+1)), err: connErr(ErrCodeFrameSize)},
		{name: "above custom max frame size", in: raw(TypeData, 0, 1, zeros(DefaultMaxFrameSize*2+1)), max: DefaultMaxFrameSize * 2, err: connErr(ErrCodeFrameSize)},
		{name: "within custom max frame size", in: raw(TypeData, 0, 1, zeros(DefaultMaxFrameSize*2)), max: DefaultMaxFrameSize * 2,
			want: &Data{StreamID: 1, Data: zeros(DefaultMaxFrameSize * 2)}},
	})
}

func TestDataLen(t *testing.T) {
	for _, c := range []struct {
		f    Data
		want int
	}{
		{Data{}, 0},
		{Data{Data: []byte("abc")}, 3},
		{Data{Padded: true}, 1},
		{Data{Padded: true, PadLength: 255, Data: []byte("abc")}, 259},
		{Data{PadLength: 255, Data: []byte("abc")}, 3}, // PadLength unused without Padded
	} {
		if got := c.f.Len(); got != c.want {
			t.Errorf("%+v.Len() = %d, want %d", c.f, got, c.want)
		}
		if got := len(c.f.Append(nil)); got != HeaderLen+c.want {
			t.Errorf("%+v.Append wrote %d bytes, want %d", c.f, got, HeaderLen+c.want)
		}
	}
}
