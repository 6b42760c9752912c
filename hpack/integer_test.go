package hpack

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestIntRoundTrip(t *testing.T) {
	values := []uint64{0, 1, 2, 6, 7, 8, 14, 15, 16, 30, 31, 32, 126, 127, 128, 129, 254, 255, 256,
		1337, 16383, 16384, 1 << 20, 1<<21 - 1, 1 << 28, math.MaxUint32 - 255, math.MaxUint32 - 1, math.MaxUint32}
	for prefix := uint8(1); prefix <= 8; prefix++ {
		for _, v := range values {
			pattern := byte(0xff << prefix) // all pattern bits set: they must survive
			b := AppendInt([]byte{0xaa}, pattern, prefix, v)
			if b[0] != 0xaa || b[1]&pattern != pattern {
				t.Fatalf("prefix %d, %d: AppendInt = %x clobbers the pattern", prefix, v, b)
			}
			got, n, err := ReadInt(b[1:], prefix)
			if err != nil || got != v || n != len(b)-1 {
				t.Fatalf("prefix %d: ReadInt(AppendInt(%d)) = %d, %d, %v; encoded %x", prefix, v, got, n, err, b[1:])
			}
			// Every shorter input is truncated.
			for i := range len(b) - 1 {
				if _, n, err := ReadInt(b[1:1+i], prefix); !errors.Is(err, ErrTruncated) || n != 0 {
					t.Fatalf("prefix %d, %d: ReadInt(%x) = n %d, %v; want ErrTruncated", prefix, v, b[1:1+i], n, err)
				}
			}
		}
	}
}

func TestReadIntErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []byte
		prefix uint8
		kind   error
	}{
		{"2^32", AppendInt(nil, 0, 5, 1<<32), 5, ErrIntegerOverflow},
		{"2^32 with an 8-bit prefix", AppendInt(nil, 0, 8, 1<<32), 8, ErrIntegerOverflow},
		{"2^63", AppendInt(nil, 0, 7, 1<<63), 7, ErrIntegerOverflow},
		{"six continuation octets", []byte{0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 5, ErrIntegerOverflow},
		{"endless continuation", bytes.Repeat([]byte{0xff}, 100), 8, ErrIntegerOverflow},
		{"empty", nil, 7, ErrTruncated},
		{"prefix full, nothing after", []byte{0x7f}, 7, ErrTruncated},
	} {
		v, n, err := ReadInt(tc.in, tc.prefix)
		if !errors.Is(err, tc.kind) || n != 0 || v != 0 {
			t.Errorf("%s: ReadInt = %d, %d, %v; want 0, 0, %v", tc.name, v, n, err, tc.kind)
		}
	}
	// The largest value encodable in 5 continuation octets is accepted.
	if v, n, err := ReadInt([]byte{0x01, 0xfe, 0xff, 0xff, 0xff, 0x0f}, 1); err != nil || n != 6 || v != math.MaxUint32 {
		t.Errorf("ReadInt(2^32-1 with a 1-bit prefix) = %d, %d, %v", v, n, err)
	}
}

func TestIntPanics(t *testing.T) {
	for _, f := range []func(){
		func() { AppendInt(nil, 0, 0, 1) },
		func() { AppendInt(nil, 0, 9, 1) },
		func() { ReadInt([]byte{1}, 0) },
		func() { ReadInt([]byte{1}, 9) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for a prefix out of 1..8")
				}
			}()
			f()
		}()
	}
}
