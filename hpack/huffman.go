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

	fastBits = 12 // index width of huffmanFastTable
)

// huffmanFastTable must have 1<<fastBits entries (gen.go has its own copy
// of the constant): these fail to compile otherwise.
var (
	_ [len(huffmanFastTable) - 1<<fastBits]struct{}
	_ [1<<fastBits - len(huffmanFastTable)]struct{}
)

// HuffmanEncodedLen returns the length in octets of s encoded with the
// Huffman code of RFC 7541, Appendix B, padding included.
func HuffmanEncodedLen(s string) int {
	var bits uint64
	for i := 0; i < len(s); i++ {
		bits += uint64(huffmanCodeLen[s[i]])
	}
	return int((bits + 7) / 8)
}

// AppendHuffman appends s encoded with the Huffman code of RFC 7541,
// Appendix B, padded to an octet boundary with the most significant bits of
// EOS (RFC 7541, Section 5.2), and returns the extended slice.
func AppendHuffman(dst []byte, s string) []byte {
	dst = slices.Grow(dst, len(s)) // usually enough

	// The low bits bits of acc are pending output: fewer than 32 between
	// symbols, and a code has at most 30 bits.
	var acc uint64
	var bits uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		l := huffmanCodeLen[c]
		acc = acc<<(l%64) | uint64(huffmanCodes[c]) // %64 spares a check of the shift
		bits += uint(l)
		if bits >= 32 {
			bits %= 32 // rather than -= 32: tells the compiler bits < 32
			dst = binary.BigEndian.AppendUint32(dst, uint32(acc>>bits))
		}
	}
	return appendHuffmanTail(dst, acc, bits)
}

// appendHuffmanTail appends the last bits bits of acc (fewer than 32),
// padded to an octet boundary with ones, the most significant bits of EOS
// (RFC 7541, Section 5.2).
func appendHuffmanTail(dst []byte, acc uint64, bits uint) []byte {
	if pad := (8 - bits%8) % 8; pad != 0 {
		acc = acc<<pad | (1<<pad - 1)
		bits += pad
	}
	for bits >= 8 {
		bits -= 8
		dst = append(dst, byte(acc>>bits))
	}
	return dst
}

// appendHuffmanShorter appends the Huffman encoding of s, as a string
// literal with its length prefix (RFC 7541, Section 5.2), if it is shorter
// than s; otherwise it returns dst unchanged and false. It encodes without
// measuring first, giving up as soon as the output reaches len(s) octets.
func appendHuffmanShorter(dst []byte, s string) ([]byte, bool) {
	limit := len(s) - 1 // the longest useful encoding
	if limit < 1 {
		return dst, false
	}
	pl := intLen(uint64(limit), 7)
	start := len(dst)
	dst = slices.Grow(dst, pl+limit+4)
	buf := dst[start : start+pl+limit+4]
	n, ok := huffmanEncodeLimited(buf[pl:], s, limit)
	if !ok {
		return dst, false
	}
	if q := intLen(uint64(n), 7); q < pl {
		copy(buf[q:], buf[pl:pl+n])
		pl = q
	}
	appendInt(buf[:0], 0x80, 7, uint64(n)) // fills buf[:pl]
	return dst[:start+pl+n], true
}

// intLen returns the length of v as an integer with an N-bit prefix.
func intLen(v uint64, prefixBits uint8) int {
	limit := uint64(1)<<prefixBits - 1
	if v < limit {
		return 1
	}
	n := 2
	for v -= limit; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// huffmanEncodeLimited writes the Huffman encoding of s (as AppendHuffman
// does) to out, which has room for limit octets plus 4, and returns its
// length; or it stops with ok false if the encoding is longer than limit.
func huffmanEncodeLimited(out []byte, s string, limit int) (n int, ok bool) {
	k := 0
	var acc uint64
	var bits uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		l := huffmanCodeLen[c]
		acc = acc<<(l%64) | uint64(huffmanCodes[c])
		bits += uint(l)
		if bits >= 32 {
			if k >= limit {
				return 0, false
			}
			bits %= 32
			binary.BigEndian.PutUint32(out[k:], uint32(acc>>bits))
			k += 4
		}
	}
	if k+int(bits+7)/8 > limit {
		return 0, false
	}
	return len(appendHuffmanTail(out[:k], acc, bits)), true
}

// AppendHuffmanDecode appends the Huffman decoding of src to dst and returns
// the extended slice. Decoding is table-driven: 12 bits (one or two
// symbols) per step for the common codes, 8 bits per step for the long
// ones. As RFC 7541, Section 5.2 requires, an encoded EOS symbol, padding
// longer than 7 bits, and padding that is not the most significant bits of
// EOS are errors (wrapping ErrInvalidHuffman, with the offset of the octet
// where the symbol or padding at fault starts).
func AppendHuffmanDecode(dst, src []byte) ([]byte, error) {
	out, st, at := huffmanDecode(dst, src)
	if st != huffOK {
		return dst, st.err(at)
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
// slice is to be ignored, and errAt is the offset in src of the octet where
// the symbol or padding at fault starts.
//
// Input bits are read 32 at a time into acc, most significant first (acc
// holds nbits bits at its top). Most steps decode one or two symbols with a
// single lookup in huffmanFastTable; codes longer than fastBits bits go
// through huffmanDecodeTable eight bits at a time. The main loop runs while
// whole words of input remain; the end goes through a careful loop that
// feeds ones past the input, so every lookup sees enough bits, and counts
// the bits decoded: a symbol reaching past the input is the padding, which
// is then checked.
func huffmanDecode(dst, src []byte) (_ []byte, _ huffStatus, errAt int) {
	// The shortest code has 5 bits: that bounds the output. One more octet
	// lets the fast path store two symbols where it decoded one.
	maxOut := len(src)*8/5 + 2
	dst = slices.Grow(dst, maxOut)
	out := dst[len(dst) : len(dst)+maxOut]
	k := 0

	var acc uint64
	var nbits uint
	i := 0
	for {
		if nbits < 32 {
			if len(src)-i < 4 {
				break
			}
			acc |= uint64(binary.BigEndian.Uint32(src[i:])) << (32 - nbits)
			nbits += 32
			i += 4
		}
		e := huffmanFastTable[acc>>(64-fastBits)]
		if e != 0 {
			out[k] = byte(e)
			out[k+1] = byte(e >> 8)
			k += int(e >> 16 & 3)
			n := uint(e >> 24)
			acc <<= n
			nbits -= n
			// At least 20 bits are left: enough for another fast step.
			e = huffmanFastTable[acc>>(64-fastBits)]
			if e == 0 {
				continue // a long code: refill first
			}
			out[k] = byte(e)
			out[k+1] = byte(e >> 8)
			k += int(e >> 16 & 3)
			n = uint(e >> 24)
			acc <<= n
			nbits -= n
			continue
		}
		l, s := longCode(acc)
		if s&huffSymMask == huffEOS {
			return dst, huffHasEOS, (i*8 - int(nbits)) / 8
		}
		out[k] = byte(s)
		k++
		acc <<= l
		nbits -= l
	}

	// The end: fewer than 32 bits of input not in acc.
	rem := uint(len(src)-i)*8 + nbits // real bits left
	for rem > 0 {
		if nbits < 32 {
			var w uint32
			switch len(src) - i {
			case 0:
				w = 0xffffffff
			case 1:
				w = uint32(src[i])<<24 | 0xffffff
			case 2:
				w = uint32(src[i])<<24 | uint32(src[i+1])<<16 | 0xffff
			default:
				w = uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | 0xff
			}
			i = len(src)
			acc |= uint64(w) << (32 - nbits)
			nbits += 32
		}
		if rem < 8 && acc>>(64-rem) == 1<<rem-1 {
			break // valid padding: no code is all ones but EOS (30 bits)
		}
		e := huffmanFastTable[acc>>(64-fastBits)]
		if n := uint(e >> 24); n != 0 && n <= rem {
			out[k] = byte(e)
			out[k+1] = byte(e >> 8)
			k += int(e >> 16 & 3)
			acc <<= n
			nbits -= n
			rem -= n
			continue
		}
		l, s := longCode(acc)
		if l > rem {
			// The input ends inside this code: the rest must be padding,
			// at most 7 bits of ones (RFC 7541, Section 5.2).
			at := (len(src)*8 - int(rem)) / 8
			if rem > 7 {
				return dst, huffPadTooLong, at
			}
			if acc>>(64-rem) != 1<<rem-1 {
				return dst, huffPadNotOnes, at
			}
			break
		}
		if s&huffSymMask == huffEOS {
			return dst, huffHasEOS, (len(src)*8 - int(rem)) / 8
		}
		out[k] = byte(s)
		k++
		acc <<= l
		nbits -= l
		rem -= l
	}
	return dst[:len(dst)+k], huffOK, 0
}

// longCode decodes the symbol at the top of acc (at least 32 bits) eight
// bits at a time, returning its code length and huffmanDecodeTable entry.
func longCode(acc uint64) (uint, uint16) {
	var l uint
	s := huffmanDecodeTable[0][acc>>56]
	for s&huffLink != 0 {
		l += 8
		s = huffmanDecodeTable[s&huffStateMask][byte(acc>>(56-l))]
	}
	return l + uint(s>>huffLenShift), s
}
