package hpack

import (
	"strconv"
	"strings"
	"unsafe"
)

// dynTable is the dynamic table (RFC 7541, Section 2.3.2): a FIFO of header
// fields, newest first, whose total size (RFC 7541, Section 4.1) never
// exceeds maxSize. Its entries follow the static table's in the index
// address space (RFC 7541, Section 2.3.3):
//
//	<--------------  index address space  -------------->
//	<--   static table  -->  <--    dynamic table     -->
//	+---+------------+----+  +----+-----------+--------+
//	| 1 |    ...     | 61 |  | 62 |    ...    | 61+len |
//	+---+------------+----+  +----+-----------+--------+
//	                           ^                   |
//	                    insertion point      eviction point
//
// Entries have ids that count insertions: the live ones are [first, next),
// so the index of an entry is computed (next - id), never shifted. They live
// in a ring (ents, a power-of-two length, entry id at ents[id&mask]).
//
// The names and values live in another ring, data, at "virtual" offsets that
// only grow; an entry's bytes are contiguous at physical offset off%len(data)
// (an entry that would straddle the end starts at the next lap instead,
// leaving a gap). With len(data) >= 2*maxSize every insertion fits without
// touching live bytes (the live bytes and the one possible gap are each
// smaller than maxSize); data starts small and doubles, with the live entries
// compacted into the new ring, until it fits. So once warm, inserting and
// evicting allocate nothing.
//
// The Encoder also indexes entries by name and by (name, value) hash: chains
// of ids, newest first, whose heads are in nameHeads and pairHeads. Evicted
// entries are not unlinked: a chain ends at the first id below first, since
// ids along a chain only decrease.
type dynTable struct {
	ents    []dynEntry
	data    []byte
	first   uint64 // id of the oldest entry
	next    uint64 // id of the next entry added
	head    uint64 // virtual offset of the oldest entry's bytes (tail if empty)
	tail    uint64 // virtual offset just past the newest entry's bytes
	size    uint32 // sum of the entry sizes
	maxSize uint32 // the maximum size (RFC 7541, Section 4.2)

	indexed   bool     // maintain nameHeads and pairHeads (Encoder)
	nameHeads []uint64 // by nameHash: 1 + id of the newest entry, 0 if none
	pairHeads []uint64 // by pairHash: likewise
}

type dynEntry struct {
	off      uint64 // virtual offset of the name; the value follows it
	nameLen  uint32
	valueLen uint32
	nameHash uint64 // Encoder only
	pairHash uint64
	nextName uint64 // 1 + id of the next older entry in the same name chain, 0 if none
	nextPair uint64
	checked  checkMemo // Decoder: the entry's verdict from the field check
}

// checkMemo is what the Decoder's field check (SetFieldCheck) said of a
// dynamic table entry: checkUnknown until it is asked.
type checkMemo uint8

const (
	checkUnknown checkMemo = iota
	checkPassed
	checkFailed
)

func (e *dynEntry) size() uint32 { return entrySize(int(e.nameLen), int(e.valueLen)) }

// len returns the number of entries.
func (t *dynTable) len() int { return int(t.next - t.first) }

// at returns the entry at 1-based index i (1 is the newest); 1 <= i <= len.
func (t *dynTable) at(i uint64) *dynEntry {
	return &t.ents[(t.next-i)&uint64(len(t.ents)-1)]
}

// strings returns e's name and value, aliasing t.data: valid until the
// bytes are overwritten by a later insertion.
func (t *dynTable) strings(e *dynEntry) (name, value string) {
	p := e.off & uint64(len(t.data)-1)
	if e.nameLen > 0 {
		name = unsafe.String(&t.data[p], e.nameLen)
	}
	if e.valueLen > 0 {
		value = unsafe.String(&t.data[p+uint64(e.nameLen)], e.valueLen)
	}
	return name, value
}

// setMaxSize sets the maximum size, evicting entries to fit (RFC 7541,
// Section 4.3).
func (t *dynTable) setMaxSize(n uint32) {
	t.maxSize = n
	for t.size > n {
		t.evict()
	}
}

// evict removes the oldest entry.
func (t *dynTable) evict() {
	e := &t.ents[t.first&uint64(len(t.ents)-1)]
	t.size -= e.size()
	t.first++
	if t.first == t.next {
		t.head = t.tail
	} else {
		t.head = t.ents[t.first&uint64(len(t.ents)-1)].off
	}
}

// makeRoom evicts entries until one of size sz fits (RFC 7541, Section
// 4.4). It reports false, with the table emptied, if sz exceeds maxSize:
// such an entry is not added.
func (t *dynTable) makeRoom(sz uint32) bool {
	for t.size > 0 && uint64(t.size)+uint64(sz) > uint64(t.maxSize) {
		t.evict()
	}
	return sz <= t.maxSize
}

// place returns the virtual offset where l bytes can be written without
// touching live entries. moved reports that data was reallocated (the live
// entries were copied; the old array is left as it was).
func (t *dynTable) place(l uint64) (p uint64, moved bool) {
	c := uint64(len(t.data))
	if l == 0 {
		return t.tail, false
	}
	if c > 0 {
		p = t.tail
		if p&(c-1)+l > c {
			p += c - p&(c-1) // next lap
		}
		if p+l-t.head <= c {
			return p, false
		}
	}
	// Grow and compact. The live bytes, less than maxSize, plus l fit in
	// half of the new ring, so this is not needed again until maxSize
	// grows.
	var live uint64
	for id := t.first; id < t.next; id++ {
		e := &t.ents[id&uint64(len(t.ents)-1)]
		live += uint64(e.nameLen) + uint64(e.valueLen)
	}
	nc := max(c*2, 256)
	for nc < 2*(live+l) {
		nc *= 2
	}
	data := make([]byte, nc)
	base := t.tail + nc - t.tail&(nc-1) // a fresh lap, so offsets keep growing
	pos := base
	for id := t.first; id < t.next; id++ {
		e := &t.ents[id&uint64(len(t.ents)-1)]
		n := uint64(e.nameLen) + uint64(e.valueLen)
		if n > 0 {
			src := e.off & (c - 1)
			copy(data[pos-base:], t.data[src:src+n])
		}
		e.off = pos
		pos += n
	}
	t.data = data
	t.head = base
	t.tail = pos
	return pos, true
}

// push adds (name, value) as the newest entry with its bytes at p, which
// place returned for len(name)+len(value) after makeRoom succeeded.
func (t *dynTable) push(p uint64, name, value string, nameHash, pairHash uint64) {
	if t.len() == len(t.ents) {
		t.growEnts()
	}
	if n := len(name) + len(value); n > 0 {
		phys := p & uint64(len(t.data)-1)
		copy(t.data[phys:], name)
		copy(t.data[phys+uint64(len(name)):], value)
		t.tail = p + uint64(n)
	}
	if t.first == t.next {
		t.head = p
	}
	id := t.next
	t.next++
	e := &t.ents[id&uint64(len(t.ents)-1)]
	*e = dynEntry{off: p, nameLen: uint32(len(name)), valueLen: uint32(len(value))}
	t.size += e.size()
	if t.indexed {
		e.nameHash, e.pairHash = nameHash, pairHash
		t.link(id, e)
	}
}

// add adds (name, value) as the newest entry, evicting as needed. It
// reports false if the field is larger than maxSize, which empties the
// table (RFC 7541, Section 4.4).
func (t *dynTable) add(name, value string, nameHash, pairHash uint64) bool {
	if !t.makeRoom(entrySize(len(name), len(value))) {
		return false
	}
	p, _ := t.place(uint64(len(name)) + uint64(len(value)))
	t.push(p, name, value, nameHash, pairHash)
	return true
}

// growEnts doubles the entry ring (and the index, if any).
func (t *dynTable) growEnts() {
	n := max(2*len(t.ents), 16)
	ents := make([]dynEntry, n)
	for id := t.first; id < t.next; id++ {
		ents[id&uint64(n-1)] = t.ents[id&uint64(len(t.ents)-1)]
	}
	t.ents = ents
	if t.indexed {
		t.nameHeads = make([]uint64, 2*n)
		t.pairHeads = make([]uint64, 2*n)
		for id := t.first; id < t.next; id++ {
			t.link(id, &t.ents[id&uint64(n-1)])
		}
	}
}

// link makes entry id the head of its name and pair chains.
func (t *dynTable) link(id uint64, e *dynEntry) {
	mask := uint64(len(t.nameHeads) - 1)
	e.nextName = t.nameHeads[e.nameHash&mask]
	t.nameHeads[e.nameHash&mask] = id + 1
	e.nextPair = t.pairHeads[e.pairHash&mask]
	t.pairHeads[e.pairHash&mask] = id + 1
}

// findPair returns the 1-based index of the newest entry equal to (name,
// value), or 0.
func (t *dynTable) findPair(name, value string, pairHash uint64) uint64 {
	if t.first == t.next {
		return 0
	}
	emask := uint64(len(t.ents) - 1)
	for ref := t.pairHeads[pairHash&uint64(len(t.pairHeads)-1)]; ref > t.first; {
		id := ref - 1
		e := &t.ents[id&emask]
		if e.pairHash == pairHash && int(e.nameLen) == len(name) && int(e.valueLen) == len(value) {
			n, v := t.strings(e)
			if n == name && v == value {
				return t.next - id
			}
		}
		ref = e.nextPair
	}
	return 0
}

// findName returns the 1-based index of the newest entry named name, or 0.
func (t *dynTable) findName(name string, nameHash uint64) uint64 {
	if t.first == t.next {
		return 0
	}
	emask := uint64(len(t.ents) - 1)
	for ref := t.nameHeads[nameHash&uint64(len(t.nameHeads)-1)]; ref > t.first; {
		id := ref - 1
		e := &t.ents[id&emask]
		if e.nameHash == nameHash && int(e.nameLen) == len(name) {
			if n, _ := t.strings(e); n == name {
				return t.next - id
			}
		}
		ref = e.nextName
	}
	return 0
}

// entry returns a copy of the entry at 1-based index i, for tests and tools.
func (t *dynTable) entry(i int) Field {
	if i < 1 || i > t.len() {
		panic("hpack: dynamic table index " + strconv.Itoa(i) + " out of range [1, " + strconv.Itoa(t.len()) + "]")
	}
	name, value := t.strings(t.at(uint64(i)))
	return Field{Name: strings.Clone(name), Value: strings.Clone(value)}
}
