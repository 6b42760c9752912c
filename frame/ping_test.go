package frame

import "testing"

func TestPing(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6, 7, 0xff}
	runParseCases(t, []parseCase{
		{name: "ping", in: raw(TypePing, 0, 0, data),
			want: &Ping{Data: [8]byte(data)}},
		{name: "ack", in: raw(TypePing, FlagAck, 0, zeros(8)),
			want: &Ping{Ack: true}},
		{name: "unused flags and reserved bit ignored", in: raw(TypePing, 0xfe, 1<<31, data),
			want: &Ping{Data: [8]byte(data)}, lossy: true},

		// RFC 9113, Section 6.7.
		{name: "stream 1", in: raw(TypePing, 0, 1, data), err: connErr(ErrCodeProtocol)},
		{name: "length 7", in: raw(TypePing, 0, 0, zeros(7)), err: connErr(ErrCodeFrameSize)},
		{name: "length 9", in: raw(TypePing, FlagAck, 0, zeros(9)), err: connErr(ErrCodeFrameSize)},
		{name: "length 0", in: raw(TypePing, 0, 0), err: connErr(ErrCodeFrameSize)},
	})
}
