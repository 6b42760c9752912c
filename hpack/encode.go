package hpack

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// An Encoder encodes header blocks for one direction of one connection
// (RFC 7541, Section 3.1): it owns the dynamic table the peer's Decoder
// mirrors. The zero value is not usable; call NewEncoder.
//
// How it represents a field (RFC 7541, Section 6):
//
//   - a field equal to an entry of the static or dynamic table is sent as
//     its index (one octet for the first 127 entries);
//   - a Sensitive field, an authorization or proxy-authorization field, and
//     a cookie shorter than 20 octets are sent as literals never indexed
//     (RFC 7541, Section 7.1.3), so they never enter a dynamic table;
//   - a field larger than 3/4 of the dynamic table is sent without indexing
//     (adding it would flush most of the table for one field);
//   - fields whose values usually change from message to message (:path,
//     content-length, etag, set-cookie, if-none-match, trace ids, ...) are
//     added to the table only when the same value is seen a second time, so
//     unique values do not evict useful entries while repeated ones (a gRPC
//     method path) still end up indexed;
//   - every other field is added to the dynamic table, so the next similar
//     message shrinks to a few octets per field.
//
// Names are sent as indices when the static or dynamic table has them, and
// strings are Huffman-encoded when that is shorter (RFC 7541, Section 5.2).
type Encoder struct {
	t       dynTable
	seed    uint64 // of the hashes of names and values
	limit   uint32 // our own bound on the table size
	peerMax uint32 // the peer's SETTINGS_HEADER_TABLE_SIZE
	pending bool   // size updates to send at the start of the next block
	minSize uint32 // smallest size since the last update sent
	target  uint32 // size to announce last

	// seen remembers (32 bits of) the pair hashes of "volatile" fields
	// sent once without indexing: a hash can be in either of two slots,
	// and a collision just forgets one.
	seen [256]uint32

	// last holds, by position, 1 + the id of the dynamic table entry
	// that represented each field of the previous block (0 if none):
	// Encode compares a field with it before looking it up, since a
	// connection sends much the same fields, in the same order, again
	// and again.
	last []uint64

	// Knobs for tests reproducing RFC 7541, Appendix C.
	indexAll bool // literal with incremental indexing for every field not found
	huffman  huffMode
}

type huffMode uint8

const (
	huffAuto   huffMode = iota // Huffman when shorter
	huffNever                  // raw strings only
	huffAlways                 // Huffman always
)

// NewEncoder returns an Encoder whose dynamic table has the default maximum
// size, DefaultTableSize, which is also its default limit.
func NewEncoder() *Encoder {
	e := &Encoder{
		seed:    rand.Uint64(),
		limit:   DefaultTableSize,
		peerMax: DefaultTableSize,
	}
	e.t.maxSize = DefaultTableSize
	e.t.indexed = true
	e.t.growEnts()
	return e
}

// SetMaxDynamicTableSizeLimit sets our own bound on the dynamic table size,
// the memory the Encoder (and the peer's Decoder) spend on it; the default
// is DefaultTableSize. The size used is the smaller of n and the peer's
// SETTINGS_HEADER_TABLE_SIZE. Call it between header blocks.
func (e *Encoder) SetMaxDynamicTableSizeLimit(n uint32) {
	e.limit = n
	e.sizeChanged()
}

// SetMaxDynamicTableSize records the peer's SETTINGS_HEADER_TABLE_SIZE (RFC
// 9113, Section 6.5.2). The size used is the smaller of n and the limit set
// with SetMaxDynamicTableSizeLimit. If that changes the size, the next header
// block starts with dynamic table size updates: the smallest size since the
// last block if it was smaller, then the final size (RFC 7541, Section 4.2).
// Call it between header blocks.
//
// (golang.org/x/net's Decoder, as of v0.62.0, rejects such a pair of
// updates unless the first one empties its table: a peer using it should
// not change its setting twice between two of our header blocks.)
func (e *Encoder) SetMaxDynamicTableSize(n uint32) {
	e.peerMax = n
	e.sizeChanged()
}

func (e *Encoder) sizeChanged() {
	size := min(e.peerMax, e.limit)
	if !e.pending {
		if size == e.t.maxSize {
			return
		}
		e.pending = true
		e.minSize = size
	}
	e.minSize = min(e.minSize, size)
	e.target = size
	if e.target == e.t.maxSize && e.minSize >= e.t.maxSize {
		e.pending = false // back where we were: nothing to announce
	}
}

// appendSizeUpdates appends the pending dynamic table size updates (RFC
// 7541, Section 6.3) and applies them to the table.
func (e *Encoder) appendSizeUpdates(dst []byte) []byte {
	if e.minSize < e.target {
		dst = appendInt(dst, 0x20, 5, uint64(e.minSize))
		e.t.setMaxSize(e.minSize)
	}
	dst = appendInt(dst, 0x20, 5, uint64(e.target))
	e.t.setMaxSize(e.target)
	e.pending = false
	return dst
}

// DynamicTableSize returns the size of the dynamic table (RFC 7541, Section
// 4.1).
func (e *Encoder) DynamicTableSize() uint32 { return e.t.size }

// DynamicTableLen returns the number of entries of the dynamic table.
func (e *Encoder) DynamicTableLen() int { return e.t.len() }

// Encode appends to dst the header block encoding fields, in order, and
// returns the extended slice. The block starts with the pending dynamic
// table size updates, if any, even if fields is empty.
func (e *Encoder) Encode(dst []byte, fields []Field) []byte {
	if e.pending {
		dst = e.appendSizeUpdates(dst)
	}
	if len(fields) > cap(e.last) {
		e.last = make([]uint64, len(fields)) // positions start unknown
	}
	last := e.last[:len(fields)]
	for i := range fields {
		f := &fields[i]
		if idx := e.sameAsLast(last[i], f); idx != 0 {
			// Indexed Header Field (RFC 7541, Section 6.1): what
			// appendField would find, as the table holds each pair once.
			dst = appendInt(dst, 0x80, 7, idx)
			continue
		}
		dst, last[i] = e.appendField(dst, f)
	}
	return dst
}

// sameAsLast returns the index of the entry ref (1 + its id, as in
// Encoder.last) if it is still in the table and equal to f, which is not
// Sensitive; 0 otherwise. The strings are compared byte for byte: f's may
// be the very strings of the previous block with other bytes in them.
func (e *Encoder) sameAsLast(ref uint64, f *Field) uint64 {
	if ref <= e.t.first || f.Sensitive {
		return 0
	}
	id := ref - 1
	en := &e.t.ents[id&uint64(len(e.t.ents)-1)]
	if int(en.nameLen) != len(f.Name) || int(en.valueLen) != len(f.Value) {
		return 0
	}
	if n, v := e.t.strings(en); n != f.Name || v != f.Value {
		return 0
	}
	return staticTableLen + e.t.next - id
}

// AppendField appends the representation of f to dst and returns the
// extended slice, preceded by the pending dynamic table size updates, if
// any: those must start a header block, so call SetMaxDynamicTableSize and
// SetMaxDynamicTableSizeLimit only between blocks.
func (e *Encoder) AppendField(dst []byte, f Field) []byte {
	if e.pending {
		dst = e.appendSizeUpdates(dst)
	}
	dst, _ = e.appendField(dst, &f)
	return dst
}

// Name classes that steer indexing.
const (
	classNormal    uint8 = iota
	classSensitive       // never indexed
	classCookie          // never indexed when short
	classVolatile        // indexed on the second sighting
)

// shortCookie is the length under which a cookie is never indexed: such a
// value has too little entropy to be safe from guessing through compression
// (RFC 7541, Section 7.1.3).
const shortCookie = 20

// staticClasses classifies the names of the static table, by index.
var staticClasses = func() (c [staticTableLen + 1]uint8) {
	for i := 1; i <= staticTableLen; i++ {
		c[i] = otherClass(staticTable[i].Name)
	}
	return c
}()

// otherClass classifies a name. The Encoder calls it for the names that are
// not in the static table, and uses staticClasses for the others.
func otherClass(name string) uint8 {
	switch name {
	case "authorization", "proxy-authorization":
		return classSensitive
	case "cookie":
		return classCookie
	case ":path", "age", "content-length", "content-range", "etag", "expires",
		"if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
		"last-modified", "location", "range", "set-cookie",
		"x-request-id", "x-correlation-id", "x-amzn-trace-id", "traceparent",
		"x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "grpc-timeout":
		return classVolatile
	}
	return classNormal
}

// appendField appends the representation of f, and returns 1 + the id of
// the dynamic table entry equal to f after it (found or added), 0 if none.
func (e *Encoder) appendField(dst []byte, f *Field) ([]byte, uint64) {
	pair, staticName := staticLookup(f.Name, f.Value)
	if f.Sensitive {
		return e.appendLiteral(dst, 0x10, 4, f, staticName), 0
	}
	if pair != 0 {
		// Indexed Header Field (RFC 7541, Section 6.1).
		return append(dst, 0x80|pair), 0
	}
	class := classNormal
	if staticName != 0 {
		class = staticClasses[staticName]
	} else {
		class = otherClass(f.Name)
	}
	if !e.indexAll && (class == classSensitive || class == classCookie && len(f.Value) < shortCookie) {
		return e.appendLiteral(dst, 0x10, 4, f, staticName), 0
	}

	nameHash := strHash(e.seed, f.Name)
	pairHash := nameHash ^ bits.RotateLeft64(strHash(e.seed^hashK1, f.Value), 29)
	if i := e.t.findPair(f.Name, f.Value, pairHash); i != 0 {
		return appendInt(dst, 0x80, 7, staticTableLen+i), 1 + e.t.next - i
	}
	nameIndex := uint64(staticName)
	if nameIndex == 0 {
		if i := e.t.findName(f.Name, nameHash); i != 0 {
			nameIndex = staticTableLen + i
		}
	}
	if !e.shouldIndex(f, class, pairHash) {
		// Literal Header Field without Indexing (RFC 7541, Section 6.2.2).
		return e.appendLiteralWithName(dst, 0x00, 4, f, nameIndex), 0
	}
	// Literal Header Field with Incremental Indexing (RFC 7541, Section 6.2.1).
	dst = e.appendLiteralWithName(dst, 0x40, 6, f, nameIndex)
	if !e.t.add(f.Name, f.Value, nameHash, pairHash) {
		return dst, 0
	}
	return dst, e.t.next // 1 + the new entry's id
}

// shouldIndex reports whether f, not in the dynamic table, should be added.
func (e *Encoder) shouldIndex(f *Field, class uint8, pairHash uint64) bool {
	if e.indexAll {
		return true
	}
	if uint64(f.Size())*4 > uint64(e.t.maxSize)*3 {
		return false
	}
	if class == classVolatile {
		tag := uint32(pairHash>>32) | 1 // never 0, the empty slot
		a, b := &e.seen[uint8(pairHash)], &e.seen[uint8(pairHash>>8)]
		switch {
		case *a == tag:
			*a = 0
			return true
		case *b == tag:
			*b = 0
			return true
		case *a == 0:
			*a = tag
		default:
			*b = tag
		}
		return false
	}
	return true
}

// appendLiteral appends f as a literal without adding it to the table; the
// name is an index if either table has it.
func (e *Encoder) appendLiteral(dst []byte, pattern byte, prefix uint8, f *Field, staticName uint8) []byte {
	nameIndex := uint64(staticName)
	if nameIndex == 0 && e.t.len() > 0 {
		if i := e.t.findName(f.Name, strHash(e.seed, f.Name)); i != 0 {
			nameIndex = staticTableLen + i
		}
	}
	return e.appendLiteralWithName(dst, pattern, prefix, f, nameIndex)
}

// appendLiteralWithName appends a literal representation (RFC 7541, Section
// 6.2) with the name as nameIndex, or as a string if nameIndex is 0.
func (e *Encoder) appendLiteralWithName(dst []byte, pattern byte, prefix uint8, f *Field, nameIndex uint64) []byte {
	dst = appendInt(dst, pattern, prefix, nameIndex)
	if nameIndex == 0 {
		dst = e.appendString(dst, f.Name)
	}
	return e.appendString(dst, f.Value)
}

// appendString appends a string literal (RFC 7541, Section 5.2),
// Huffman-encoded if that is shorter.
func (e *Encoder) appendString(dst []byte, s string) []byte {
	if e.huffman == huffAuto && len(s) >= 32 {
		// Long strings: encode at once, and fall back if not shorter.
		if out, ok := appendHuffmanShorter(dst, s); ok {
			return out
		}
	} else if e.huffman != huffNever {
		if n := HuffmanEncodedLen(s); n < len(s) || e.huffman == huffAlways {
			dst = appendInt(dst, 0x80, 7, uint64(n))
			return AppendHuffman(dst, s)
		}
	}
	dst = appendInt(dst, 0x00, 7, uint64(len(s)))
	return append(dst, s...)
}

// Constants of strHash (odd, with well-mixed bits).
const (
	hashK0 = 0x9e3779b97f4a7c15
	hashK1 = 0xc2b2ae3d27d4eb4f
	hashK2 = 0x165667b19e3779f9
)

// strHash is a cheap seeded hash of s for the dynamic table index. Past 32
// octets it reads only the first and last 16 (and the length): equal
// hashes are settled by comparing strings, and since all the table's
// entries together hold at most its size in octets, even colliding ones
// cost a bounded amount of comparing.
func strHash(seed uint64, s string) uint64 {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	n := len(b)
	var x, y uint64
	switch {
	case n > 16:
		x = binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[8:])*hashK2
		y = binary.LittleEndian.Uint64(b[n-16:]) ^ binary.LittleEndian.Uint64(b[n-8:])*hashK2
	case n >= 8:
		x = binary.LittleEndian.Uint64(b)
		y = binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b))
		y = uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n/2])<<8 | uint64(b[n-1])
	}
	hi, lo := bits.Mul64(x^seed^hashK0, y^uint64(n)*hashK1)
	hi, lo = bits.Mul64(hi^lo^hashK2, seed^hashK1)
	return hi ^ lo
}
