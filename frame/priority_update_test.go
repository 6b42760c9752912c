package frame

import "testing"

func TestPriorityUpdate(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "urgency", in: raw(TypePriorityUpdate, 0, 0, u32(5), []byte("u=1, i")),
			want: &PriorityUpdate{PrioritizedID: 5, FieldValue: []byte("u=1, i")}},
		{name: "empty value", in: raw(TypePriorityUpdate, 0, 0, u32(1)),
			want: &PriorityUpdate{PrioritizedID: 1, FieldValue: []byte{}}},
		{name: "reserved bits and unused flags ignored", in: raw(TypePriorityUpdate, 0xff, 1<<31, u32(1<<31|3), []byte("u=7")),
			want: &PriorityUpdate{PrioritizedID: 3, FieldValue: []byte("u=7")}, lossy: true},

		// RFC 9218, Section 7.1.
		{name: "stream 1", in: raw(TypePriorityUpdate, 0, 1, u32(1), []byte("u=1")), err: connErr(ErrCodeProtocol)},
		{name: "prioritized 0", in: raw(TypePriorityUpdate, 0, 0, u32(0), []byte("u=1")), err: connErr(ErrCodeProtocol)},
		{name: "prioritized 0 reserved bit", in: raw(TypePriorityUpdate, 0, 0, u32(1<<31)), err: connErr(ErrCodeProtocol)},
		// RFC 9113, Section 4.2: too small for mandatory fields.
		{name: "length 3", in: raw(TypePriorityUpdate, 0, 0, zeros(3)), err: connErr(ErrCodeFrameSize)},
		{name: "length 0", in: raw(TypePriorityUpdate, 0, 0), err: connErr(ErrCodeFrameSize)},
	})
}
