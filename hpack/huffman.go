package hpack

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// Layout of huffmanDecodeTable entries (see gen.go).
const (
	huffLink      = 0x8000 // the octet is a proper prefix of longer codes
	huffStateMask = 0x7fff // with huffLink: the next state
	huffSymMask   = 0x1ff  // without huffLink: the symbol
	huffLenShift  = 9      // without huffLink: entry>>huffLenShift bits end the symbol
	huffEOS       = 256
)

// HuffmanEncodedLen returns the length in octets of s encoded with the
// Huffman code of RFC 7541, Appendix B, padding included.
func HuffmanEncodedLen(s string) int {
	var bits uint64
	for i := 0; i < len(s); i++ {
		bits += huffmanCodes[s[i]] >> 32
	}
	return int((bits + 7) / 8)
}

// AppendHuffman appends s encoded with the Huffman code of RFC 7541,
// Appendix B, padded to an octet boundary with the most significant bits of
// EOS (RFC 7541, Section 5.2), and returns the extended slice.
func AppendHuffman(dst []byte, s string) []byte {
	var acc uint64 // the low n bits are pending output
	var n uint
	for i := 0; i < len(s); i++ {
		c := huffmanCodes[s[i]]
		l := uint(c >> 32)
		acc = acc<<l | c&0xffffffff
		n += l
		if n >= 32 {
			n -= 32
			dst = binary.BigEndian.AppendUint32(dst, uint32(acc>>n))
		}
	}
	if pad := (8 - n%8) % 8; pad != 0 {
		acc = acc<<pad | (1<<pad - 1)
		n += pad
	}
	for n > 0 {
		n -= 8
		dst = append(dst, byte(acc>>n))
	}
	return dst
}

// AppendHuffmanDecode appends the Huffman decoding of src to dst and returns
// the extended slice. Decoding is table-driven, eight bits per step. As RFC
// 7541, Section 5.2 requires, an encoded EOS symbol, padding longer than 7
// bits, and padding that is not the most significant bits of EOS are errors
// (wrapping ErrInvalidHuffman; the offset is that of the last octet used).
func AppendHuffmanDecode(dst, src []byte) ([]byte, error) {
	out, st := huffmanDecode(dst, src)
	if st != huffOK {
		return dst, st.err(max(len(src)-1, 0))
	}
	return out, nil
}

// huffStatus is the outcome of huffmanDecode.
type huffStatus uint8

const (
	huffOK huffStatus = iota
	huffHasEOS
	huffPadTooLong
	huffPadNotOnes
)

func (st huffStatus) err(off int) error {
	switch st {
	case huffHasEOS:
		return decodingError(ErrInvalidHuffman, off, "EOS symbol in string")
	case huffPadTooLong:
		return decodingError(ErrInvalidHuffman, off, "padding longer than 7 bits")
	case huffPadNotOnes:
		return decodingError(ErrInvalidHuffman, off, "padding is not a prefix of EOS")
	}
	return decodingError(ErrInvalidHuffman, off, "status "+strconv.Itoa(int(st)))
}

// huffmanDecode appends the decoding of src to dst. On error the returned
// slice is to be ignored.
func huffmanDecode(dst, src []byte) ([]byte, huffStatus) {
	// The shortest code has 5 bits: that bounds the output.
	maxOut := len(src)*8/5 + 1
	dst = slices.Grow(dst, maxOut)
	out := dst[len(dst) : len(dst)+maxOut]
	k := 0

	var acc uint64 // the low nbits bits are unread input
	var nbits uint
	i := 0

	// Fast loop: at least 32 bits in acc, enough for any code (30 bits at
	// most) and for reading a whole octet at each of its (up to 4) steps.
	for {
		if nbits < 32 {
			if len(src)-i < 4 {
				break
			}
			acc = acc<<32 | uint64(binary.BigEndian.Uint32(src[i:]))
			nbits += 32
			i += 4
		}
		e := huffmanDecodeTable[0][byte(acc>>(nbits-8))]
		for e&huffLink != 0 {
			nbits -= 8
			e = huffmanDecodeTable[e&huffStateMask][byte(acc>>(nbits-8))]
		}
		if e&huffSymMask == huffEOS {
			return dst, huffHasEOS
		}
		out[k] = byte(e)
		k++
		nbits -= uint(e >> huffLenShift)
	}

	// Tail: fewer than 4 octets left to load; pad the last bits with ones
	// to look them up, and check that what does not make a symbol is valid
	// padding.
	for {
		for nbits <= 56 && i < len(src) {
			acc = acc<<8 | uint64(src[i])
			nbits += 8
			i++
		}
		if nbits == 0 {
			break
		}
		var used uint // bits of this symbol consumed by earlier steps
		state := uint16(0)
		for {
			var octet byte
			if nbits >= 8 {
				octet = byte(acc >> (nbits - 8))
			} else {
				octet = byte(acc<<(8-nbits)) | byte(1<<(8-nbits)-1)
			}
			e := huffmanDecodeTable[state][octet]
			if e&huffLink != 0 && nbits >= 8 {
				nbits -= 8
				used += 8
				state = e & huffStateMask
				continue
			}
			if e&huffLink != 0 || uint(e>>huffLenShift) > nbits {
				// The input ends inside a code: padding (RFC 7541, Section 5.2).
				if used+nbits > 7 {
					return dst, huffPadTooLong
				}
				if mask := uint64(1)<<nbits - 1; acc&mask != mask {
					return dst, huffPadNotOnes
				}
				return dst[:len(dst)+k], huffOK
			}
			if e&huffSymMask == huffEOS {
				return dst, huffHasEOS
			}
			out[k] = byte(e)
			k++
			nbits -= uint(e >> huffLenShift)
			break
		}
	}
	return dst[:len(dst)+k], huffOK
}
