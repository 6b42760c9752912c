package hpack

import (
	"bytes"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// defaultMaxStringLength is the default limit on the length of a decoded
// string literal (RFC 7541, Section 7.4).
const defaultMaxStringLength = 16 << 10

// noAlias is Decoder.aliasMin when no returned field aliases the table.
const noAlias = math.MaxUint64

// A Decoder decodes header blocks for one direction of one connection (RFC
// 7541, Section 3.1): it owns the dynamic table the peer's Encoder fills.
// The zero value is not usable; call NewDecoder.
//
// Limits: the dynamic table never exceeds the size we advertise
// (SetMaxDynamicTableSize), string literals are at most 16 KiB by default
// (SetMaxStringLength), and the header list is unlimited by default
// (SetMaxHeaderListSize; set it to the SETTINGS_MAX_HEADER_LIST_SIZE you
// advertise).
type Decoder struct {
	t          dynTable
	allowed    uint32 // the largest size a size update may set
	needUpdate bool   // allowed dropped below t.maxSize: the next block must start with an update
	maxList    uint32 // 0: unlimited
	maxStr     int    // 0: unlimited

	// buf holds the literals of the current block; returned strings alias
	// it. aliasMin is the lowest virtual offset of table bytes that a
	// returned field aliases (noAlias if none): an insertion that would
	// overwrite them first copies those fields into buf (see detach).
	buf      []byte
	aliasMin uint64

	// check is the field check of SetFieldCheck (nil if none), staticOK
	// its verdict on each static table entry, passed whether every field
	// of the current block passed it so far.
	check    func(Field) bool
	staticOK [staticTableLen + 1]bool
	passed   bool

	// gen counts the changes of what a block decodes to: the dynamic
	// table's (an insertion, a size update) and the limits' and check's.
	gen uint64
	// A block sent again and again as it was (a server's responses, a
	// client's requests) is decoded once: prev is the hash of the last
	// block that left the table as it was (at most repeatMax bytes); a
	// block with the same hash is decoded and kept with its fields in rep,
	// their strings in memory of their own that is never reused, for the
	// next blocks equal to it while gen stays rep.gen. A hash, not a copy,
	// and rep allocated when needed: a connection that sent a block or
	// two keeps no bytes for them.
	prev uint64
	rep  *repeated
}

// repeatSeed is the seed of Decoder.prev's hashes.
var repeatSeed = maphash.MakeSeed()

// repeated is a block kept for Decoder.rep and what it decoded to.
type repeated struct {
	block    []byte
	fields   []Field
	listSize uint64 // the fields' header list size (SetMaxHeaderListSize)
	passed   bool   // BlockPassed
	gen      uint64 // Decoder.gen when it was decoded
	ok       bool
	id       uint64 // Repeated's answer for it: new whenever fields or passed may differ
	ids      uint64 // the identifiers given out
	current  bool   // the block last decoded is this one (Repeated)
	hits     int    // blocks decoded from it
	skips    int    // times it was not replaced because hits was 0
}

// repeatMax is the longest block Decoder.rep keeps.
const repeatMax = 512

// repeatSkips is how many times in a row a kept block that served no
// other block stays kept.
const repeatSkips = 8

// SetFieldCheck sets a check that the Decoder applies to the fields it
// decodes, remembering its verdict for each table entry, so that a field
// the peer refers to by index, as an encoder does with the fields it
// sends again and again, is checked once, not in every block.
// BlockPassed reports whether a block's fields all passed. check must
// depend only on the field's name and value (not on Sensitive, the
// order of fields or anything else), since its verdicts are reused; a
// receiver puts in it the context-free rules its fields must follow (the
// characters allowed in names and values) and still applies them to
// every field of a block that did not pass, to find out which failed.
// nil removes the check.
func (d *Decoder) SetFieldCheck(check func(Field) bool) {
	d.check = check
	d.gen++
	for i := 1; i <= staticTableLen; i++ {
		d.staticOK[i] = check != nil && check(staticTable[i])
	}
	for id := d.t.first; id < d.t.next; id++ {
		d.t.ents[id&uint64(len(d.t.ents)-1)].checked = checkUnknown
	}
}

// Repeated identifies the fields of the block last decoded when they are
// those of a block the Decoder keeps because the peer sends it again and
// again as it was: every block that decodes to these same fields, with
// the same BlockPassed, gives the same nonzero value, which no other
// fields of this Decoder ever get. It is 0 for other blocks. A receiver
// may keep what it derived from a block's fields under this value and
// use it again for the next block with the same one.
func (d *Decoder) Repeated() uint64 {
	if r := d.rep; r != nil && r.current {
		return r.id
	}
	return 0
}

// BlockPassed reports whether every field of the block last decoded
// passed the check of SetFieldCheck: false without a check, and after a
// decoding error.
func (d *Decoder) BlockPassed() bool { return d.passed }

// memo returns the check's verdict on the dynamic entry e holding f,
// asking the check the first time.
func (d *Decoder) memo(e *dynEntry, f Field) bool {
	if e.checked == checkUnknown {
		e.checked = checkFailed
		if d.check(f) {
			e.checked = checkPassed
		}
	}
	return e.checked == checkPassed
}

// NewDecoder returns a Decoder whose dynamic table has maximum size
// maxDynamicTableSize, the SETTINGS_HEADER_TABLE_SIZE we advertise (RFC
// 9113, Section 6.5.2). Until the peer acknowledges our SETTINGS, it may
// still use the default, DefaultTableSize: an engine advertising less starts
// with NewDecoder(DefaultTableSize) and calls SetMaxDynamicTableSize when
// the acknowledgement arrives.
func NewDecoder(maxDynamicTableSize uint32) *Decoder {
	d := &Decoder{
		allowed:  maxDynamicTableSize,
		maxStr:   defaultMaxStringLength,
		aliasMin: noAlias,
	}
	d.t.maxSize = maxDynamicTableSize
	return d
}

// SetMaxDynamicTableSize sets the largest size a dynamic table size update
// may set (RFC 7541, Section 4.2), our SETTINGS_HEADER_TABLE_SIZE. If n is
// below the current maximum size, the next header block must start with a
// size update of at most n (RFC 7541, Section 4.2) or Decode fails with
// ErrTableSizeUpdate.
func (d *Decoder) SetMaxDynamicTableSize(n uint32) {
	d.allowed = n
	d.needUpdate = n < d.t.maxSize
	d.gen++
}

// SetMaxHeaderListSize sets the limit on the size of a decoded header list,
// the sum of Field.Size over its fields (RFC 9113, Section 6.5.2); 0, the
// default, means unlimited. See Decode for what happens past it.
func (d *Decoder) SetMaxHeaderListSize(n uint32) { d.maxList = n }

// SetMaxStringLength sets the limit on the length of a decoded string
// literal, name or value, after Huffman decoding (RFC 7541, Section 7.4);
// the default is 16 KiB and 0 means unlimited. A longer string is an error
// wrapping ErrStringTooLong.
func (d *Decoder) SetMaxStringLength(n int) {
	d.maxStr = max(n, 0)
	d.gen++
}

// DynamicTableSize returns the size of the dynamic table (RFC 7541, Section
// 4.1).
func (d *Decoder) DynamicTableSize() uint32 { return d.t.size }

// DynamicTableLen returns the number of entries of the dynamic table.
func (d *Decoder) DynamicTableLen() int { return d.t.len() }

// DynamicTableEntry returns a copy of the entry of the dynamic table at
// index i, from 1 (the newest) to DynamicTableLen; its index in the header
// block address space is 61+i (RFC 7541, Section 2.3.3). It is meant for
// tests and tools, and panics if i is out of range.
func (d *Decoder) DynamicTableEntry(i int) Field { return d.t.entry(i) }

// Decode decodes one complete header block (the concatenated fragments of a
// HEADERS or PUSH_PROMISE frame and its CONTINUATION frames), appending the
// fields to dst[:0], and returns the extended slice: pass the previous result
// back to reuse it.
//
// The strings of the returned fields alias the Decoder's buffers and are
// valid only until the next call of Decode or ReleaseStrings, or of
// DecodeAppend with dst not holding them (copy them, for example with
// strings.Clone, to keep them longer). Decoding allocates nothing once the
// buffers have grown to the connection's needs.
//
// Every malformed input is an error: a *DecodingError wrapping one of the
// Err* kinds, with the offset of the representation at fault. After such an
// error the dynamic table is out of sync with the peer's and the connection
// must end with COMPRESSION_ERROR (RFC 9113, Section 4.3); the fields decoded
// before the error are returned.
//
// ErrHeaderListTooLarge is different: once the header list outgrows the
// limit of SetMaxHeaderListSize, Decode stops storing fields (and copying
// strings) but keeps decoding, maintaining the dynamic table, and returns
// the error at the end, with the fields stored before the limit. The
// decoding context stays in sync, so the connection can refuse just this
// stream; and an "HPACK bomb", a large entry referenced thousands of times,
// costs time proportional to the block and no memory.
func (d *Decoder) Decode(dst []Field, block []byte) ([]Field, error) {
	d.ReleaseStrings()
	return d.decode(dst[:0], block)
}

// DecodeAppend is Decode for a caller that still uses the fields of
// earlier blocks: it appends the block's fields to dst, and reuses no
// memory of the strings it returned since the last call of Decode or
// ReleaseStrings. Those strings stay valid until that next call,
// provided that every field holding one that aliases the dynamic table
// is in dst (in any order): before an insertion overwrites table bytes
// that such a field's string aliases, the string is copied and the field
// in dst updated. A receiver that decodes several blocks in one read and
// hands their fields on together decodes each with DecodeAppend into
// one slice and calls ReleaseStrings once they are handled, so that no
// string is copied only to outlive the next block.
//
// The errors are Decode's; the limit of SetMaxHeaderListSize applies to
// the block's fields alone.
func (d *Decoder) DecodeAppend(dst []Field, block []byte) ([]Field, error) {
	return d.decode(dst, block)
}

// ReleaseStrings tells the Decoder that no string it returned is in use
// any more: the next Decode or DecodeAppend reuses their memory.
func (d *Decoder) ReleaseStrings() {
	d.buf = d.buf[:0]
	d.aliasMin = noAlias
}

// decode appends the fields of block to dst (Decode, DecodeAppend).
func (d *Decoder) decode(dst []Field, block []byte) ([]Field, error) {
	if r := d.rep; r != nil && r.ok && r.gen == d.gen && !d.needUpdate && bytes.Equal(block, r.block) &&
		(d.maxList == 0 || r.listSize <= uint64(d.maxList)) {
		// The same bytes with the same table: the same fields (RFC 7541,
		// Section 3.2), in memory no later block overwrites.
		d.passed = r.passed
		r.current = true
		r.hits++
		return append(dst, r.fields...), nil
	}
	if d.rep != nil {
		d.rep.current = false
	}
	start, gen := len(dst), d.gen
	dst, err := d.decodeBlock(dst, block)
	if err != nil || d.gen != gen || len(block) > repeatMax {
		return dst, err
	}
	// The hash finds a block that came twice in a row; rep holds and
	// compares the bytes themselves.
	if h := maphash.Bytes(repeatSeed, block); h != d.prev {
		d.prev = h
	} else {
		d.keepRepeated(block, dst[start:])
	}
	return dst, nil
}

// keepRepeated makes block, which decoded to fields and left the table as it
// was, d.rep: the fields' strings are copied into an allocation of their
// own, which fields returned from d.rep keep using after d.rep changes.
func (d *Decoder) keepRepeated(block []byte, fields []Field) {
	if d.rep == nil {
		d.rep = new(repeated)
	}
	r := d.rep
	if r.ok && bytes.Equal(block, r.block) && slices.Equal(fields, r.fields) {
		// The table changed in between, not what this block says: the
		// kept strings do.
		if r.passed != d.passed {
			r.ids++
			r.id = r.ids
		}
		r.passed, r.gen, r.current = d.passed, d.gen, true
		return
	}
	if r.ok && r.hits == 0 && r.skips < repeatSkips {
		// The block kept last served nothing: blocks that repeat only
		// now and then, different each time, get an allocation once in
		// repeatSkips+1 times.
		r.skips++
		return
	}
	n, size := 0, uint64(0)
	for _, f := range fields {
		n += len(f.Name) + len(f.Value)
		size += uint64(len(f.Name)) + uint64(len(f.Value)) + entryOverhead
	}
	mem := make([]byte, 0, n)
	r.fields = r.fields[:0]
	for _, f := range fields {
		if l := len(f.Name) + len(f.Value); l > 0 {
			at := len(mem)
			mem = append(mem, f.Name...)
			mem = append(mem, f.Value...)
			both := unsafe.String(&mem[at], l)
			f.Name, f.Value = both[:len(f.Name)], both[len(f.Name):]
		}
		r.fields = append(r.fields, f)
	}
	r.block = append(r.block[:0], block...)
	r.listSize, r.passed, r.gen, r.ok, r.hits, r.skips = size, d.passed, d.gen, true, 0, 0
	r.ids++
	r.id, r.current = r.ids, true
}

// decodeBlock decodes block, appending its fields to dst (decode).
func (d *Decoder) decodeBlock(dst []Field, block []byte) ([]Field, error) {
	d.passed = false
	passed := d.check != nil // the block's fields so far
	// Dynamic table size updates come first (RFC 7541, Section 4.2).
	i := 0
	for i < len(block) && block[i]&0xe0 == 0x20 {
		v, n, st := readInt(block[i:], 5)
		if st != intOK {
			return dst, st.err(i)
		}
		if v > uint64(d.allowed) {
			return dst, decodingError(ErrTableSizeUpdate, i,
				"size "+strconv.FormatUint(v, 10)+" above the maximum "+strconv.FormatUint(uint64(d.allowed), 10))
		}
		d.t.setMaxSize(uint32(v))
		d.needUpdate = false
		d.gen++
		i += n
	}
	if d.needUpdate {
		return dst, decodingError(ErrTableSizeUpdate, 0,
			"missing at the start of the block after the maximum dropped to "+strconv.FormatUint(uint64(d.allowed), 10))
	}

	limit := uint64(d.maxList)
	if limit == 0 {
		limit = math.MaxUint64
	}
	var listSize uint64
	over := -1 // offset where the header list outgrew the limit
	for i < len(block) {
		start := i
		var f Field
		if b := block[i]; b&0x80 != 0 {
			// Indexed Header Field (RFC 7541, Section 6.1).
			idx := uint64(b & 0x7f)
			if idx < 0x7f {
				i++
			} else {
				v, n, st := readInt(block[i:], 7)
				if st != intOK {
					return dst, st.err(i)
				}
				idx = v
				i += n
			}
			if idx <= staticTableLen {
				if idx == 0 {
					return dst, decodingError(ErrInvalidIndex, start, "index 0")
				}
				f = staticTable[idx]
				passed = passed && d.staticOK[idx]
			} else {
				if idx-staticTableLen > uint64(d.t.len()) {
					return dst, d.indexError(start, idx)
				}
				if over >= 0 {
					continue
				}
				e := d.t.at(idx - staticTableLen)
				f.Name, f.Value = d.t.strings(e)
				d.aliasMin = min(d.aliasMin, e.off)
				if passed && e.checked != checkPassed {
					passed = d.memo(e, f)
				}
			}
		} else {
			var err error
			var ok bool
			f, i, ok, err = d.literal(dst, block, i, over >= 0, passed)
			if err != nil {
				return dst, err
			}
			passed = passed && ok
		}
		if over >= 0 {
			continue
		}
		listSize += uint64(len(f.Name)) + uint64(len(f.Value)) + entryOverhead
		if listSize > limit {
			over = start
			continue
		}
		dst = append(dst, f)
	}
	d.passed = passed
	if over >= 0 {
		return dst, decodingError(ErrHeaderListTooLarge, over,
			"header list larger than "+strconv.FormatUint(limit, 10)+" octets")
	}
	return dst, nil
}

func (d *Decoder) indexError(off int, idx uint64) error {
	return decodingError(ErrInvalidIndex, off, "index "+strconv.FormatUint(idx, 10)+" beyond the "+
		strconv.Itoa(staticTableLen)+" static and "+strconv.Itoa(d.t.len())+" dynamic entries")
}

// literal decodes the literal representation at block[i:] (RFC 7541,
// Section 6.2). With skip (the header list is over its limit) it stores
// nothing, decoding only what the dynamic table needs. ok is the field
// check's verdict on the field, asked when there is a check and the
// field enters the table (its entry remembers it) or ask is set.
func (d *Decoder) literal(dst []Field, block []byte, i int, skip, ask bool) (f Field, next int, ok bool, err error) {
	start := i
	b := block[i]
	var prefix uint8
	var indexing, never bool
	switch {
	case b&0xc0 == 0x40:
		// Literal Header Field with Incremental Indexing (RFC 7541, Section 6.2.1).
		prefix, indexing = 6, true
	case b&0xe0 == 0x20:
		// RFC 7541, Section 4.2: a size update must be at the start of a block.
		return Field{}, i, false, decodingError(ErrTableSizeUpdate, i, "not at the start of the header block")
	case b&0xf0 == 0x10:
		// Literal Header Field Never Indexed (RFC 7541, Section 6.2.3).
		prefix, never = 4, true
	default:
		// Literal Header Field without Indexing (RFC 7541, Section 6.2.2).
		prefix = 4
	}
	idx, n, st := readInt(block[i:], prefix)
	if st != intOK {
		return Field{}, i, false, st.err(i)
	}
	i += n
	skipStrings := skip && !indexing
	mark := len(d.buf)

	var name, value string
	var nameEntry *dynEntry // the dynamic entry name aliases, if any
	switch {
	case idx == 0:
		if name, i, err = d.readString(block, i, skipStrings); err != nil {
			return Field{}, i, false, err
		}
	case idx <= staticTableLen:
		name = staticTable[idx].Name
	case idx-staticTableLen > uint64(d.t.len()):
		return Field{}, i, false, d.indexError(start, idx)
	default:
		nameEntry = d.t.at(idx - staticTableLen)
		name, _ = d.t.strings(nameEntry)
	}
	if value, i, err = d.readString(block, i, skipStrings); err != nil {
		return Field{}, i, false, err
	}

	if indexing {
		d.gen++ // an insertion, or the table emptied by one too large (RFC 7541, Section 4.4)
	}
	if indexing && d.t.makeRoom(entrySize(len(name), len(value))) {
		l := uint64(len(name)) + uint64(len(value))
		end := len(d.buf)
		p, moved := d.t.place(l)
		if moved {
			d.aliasMin = noAlias // the old array stays as it is
		} else if d.aliasMin != noAlias && p+l-d.aliasMin > uint64(len(d.t.data)) {
			d.detach(dst)
		}
		d.t.push(p, name, value, 0, 0)
		// Return the table's copy, and reclaim buf if detach did not use it.
		name, value = d.t.strings(d.t.at(1))
		if !skip && l > 0 {
			d.aliasMin = min(d.aliasMin, p)
		}
		if len(d.buf) == end {
			d.buf = d.buf[:mark]
		}
		if d.check != nil {
			ok = d.memo(d.t.at(1), Field{Name: name, Value: value})
		}
		return Field{Name: name, Value: value, Sensitive: never}, i, ok, nil
	}
	if skip {
		d.buf = d.buf[:mark]
		return Field{}, i, false, nil
	}
	if nameEntry != nil {
		d.aliasMin = min(d.aliasMin, nameEntry.off)
	}
	if ask {
		ok = d.check(Field{Name: name, Value: value})
	}
	return Field{Name: name, Value: value, Sensitive: never}, i, ok, nil
}

// readString decodes the string literal at block[i:] (RFC 7541, Section
// 5.2) into d.buf. With skip it only checks that the string is there.
func (d *Decoder) readString(block []byte, i int, skip bool) (string, int, error) {
	if i >= len(block) {
		return "", i, decodingError(ErrTruncated, i, "input ends before a string literal")
	}
	huffman := block[i]&0x80 != 0
	l, j := uint64(block[i]&0x7f), i+1
	if l == 0x7f {
		v, n, st := readInt(block[i:], 7)
		if st != intOK {
			return "", i, st.err(i)
		}
		l, j = v, i+n
	}
	if l > uint64(len(block)-j) {
		return "", i, decodingError(ErrTruncated, i, "string literal of "+strconv.FormatUint(l, 10)+
			" octets, only "+strconv.Itoa(len(block)-j)+" left")
	}
	end := j + int(l)
	if skip || l == 0 {
		return "", end, nil
	}
	start := len(d.buf)
	if !huffman {
		if d.maxStr > 0 && l > uint64(d.maxStr) {
			return "", i, d.tooLong(i, l)
		}
		d.buf = append(d.buf, block[j:end]...)
	} else {
		// The longest code has 30 bits: a quick bound before decoding.
		if d.maxStr > 0 && l*8/30 > uint64(d.maxStr) {
			return "", i, d.tooLong(i, l*8/30)
		}
		buf, hst, at := huffmanDecode(d.buf, block[j:end])
		if hst != huffOK {
			return "", i, hst.err(j + at)
		}
		d.buf = buf
		if n := len(d.buf) - start; d.maxStr > 0 && n > d.maxStr {
			d.buf = d.buf[:start]
			return "", i, d.tooLong(i, uint64(n))
		}
		if len(d.buf) == start {
			return "", end, nil
		}
	}
	return unsafe.String(&d.buf[start], len(d.buf)-start), end, nil
}

func (d *Decoder) tooLong(off int, l uint64) error {
	return decodingError(ErrStringTooLong, off, "string literal of (at least) "+strconv.FormatUint(l, 10)+
		" octets, limit "+strconv.Itoa(d.maxStr))
}

// detach copies into d.buf the strings of dst that alias the table's bytes,
// before an insertion overwrites them.
func (d *Decoder) detach(dst []Field) {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(d.t.data)))
	hi := lo + uintptr(len(d.t.data))
	in := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return len(s) > 0 && p >= lo && p < hi
	}
	for k := range dst {
		f := &dst[k]
		if in(f.Name) {
			f.Name = d.keep(f.Name)
		}
		if in(f.Value) {
			f.Value = d.keep(f.Value)
		}
	}
	d.aliasMin = noAlias
}

// keep copies s into d.buf and returns the copy.
func (d *Decoder) keep(s string) string {
	start := len(d.buf)
	d.buf = append(d.buf, s...)
	return unsafe.String(&d.buf[start], len(s))
}
