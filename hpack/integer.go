package hpack

import "math"

// maxIntContinuation is the largest number of continuation octets an integer
// may use: 5 carry 35 bits, enough for any value up to 2^32-1 whatever the
// prefix. Longer encodings are rejected, so a stream of 0x80 octets cannot
// keep the decoder busy (RFC 7541, Section 7.4).
const maxIntContinuation = 5

// AppendInt appends v encoded as an HPACK integer with an N-bit prefix (RFC
// 7541, Section 5.1), N = prefixBits (1 to 8), and returns the extended
// slice. The high 8-N bits of firstByte are the representation's pattern
// bits (for example 0x40 for a literal with incremental indexing); its low N
// bits are ignored. AppendInt panics if prefixBits is not between 1 and 8.
func AppendInt(dst []byte, firstByte byte, prefixBits uint8, v uint64) []byte {
	if prefixBits < 1 || prefixBits > 8 {
		panic("hpack: AppendInt: prefixBits must be between 1 and 8")
	}
	return appendInt(dst, firstByte, prefixBits, v)
}

func appendInt(dst []byte, firstByte byte, prefixBits uint8, v uint64) []byte {
	limit := uint64(1)<<prefixBits - 1
	first := firstByte &^ byte(limit)
	if v < limit {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(limit))
	v -= limit
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// ReadInt decodes an HPACK integer with an N-bit prefix (RFC 7541, Section
// 5.1), N = prefixBits (1 to 8), from the start of b. It returns the value
// and the number of octets read. If b ends inside the integer, n is 0 and
// err wraps ErrTruncated. A value above 2^32-1, or an encoding longer than
// such a value needs, is an error wrapping ErrIntegerOverflow: it is never
// wrapped around. ReadInt panics if prefixBits is not between 1 and 8.
func ReadInt(b []byte, prefixBits uint8) (v uint64, n int, err error) {
	if prefixBits < 1 || prefixBits > 8 {
		panic("hpack: ReadInt: prefixBits must be between 1 and 8")
	}
	v, n, st := readInt(b, prefixBits)
	if st != intOK {
		return 0, 0, st.err(0)
	}
	return v, n, nil
}

// intStatus is the outcome of readInt, turned into an error only when needed
// so the decoder's hot path does not allocate.
type intStatus uint8

const (
	intOK intStatus = iota
	intTruncated
	intTooLarge
	intTooLong
)

func (st intStatus) err(off int) error {
	switch st {
	case intTruncated:
		return decodingError(ErrTruncated, off, "input ends inside an integer")
	case intTooLarge:
		return decodingError(ErrIntegerOverflow, off, "integer exceeds 2^32-1")
	case intTooLong:
		return decodingError(ErrIntegerOverflow, off, "integer encoding longer than 6 octets")
	}
	return nil
}

// readInt is ReadInt without the checks of prefixBits and with a status
// instead of an error.
func readInt(b []byte, prefixBits uint8) (uint64, int, intStatus) {
	if len(b) == 0 {
		return 0, 0, intTruncated
	}
	limit := uint64(1)<<prefixBits - 1
	v := uint64(b[0]) & limit
	if v < limit {
		return v, 1, intOK
	}
	for i := 1; i < len(b); i++ {
		if i > maxIntContinuation {
			return 0, 0, intTooLong
		}
		c := b[i]
		v += uint64(c&0x7f) << (7 * (i - 1))
		if c&0x80 == 0 {
			if v > math.MaxUint32 {
				return 0, 0, intTooLarge
			}
			return v, i + 1, intOK
		}
	}
	return 0, 0, intTruncated
}
