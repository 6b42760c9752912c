// Package idmap is a map from HTTP/2 stream identifiers to values, for
// the tables a connection looks streams up in on every frame.
//
// Stream identifiers are not random keys: each side opens its streams
// with ever larger odd (client) or even (server) numbers (RFC 9113,
// Section 5.1.1), and the streams open at one time are a window of
// recent ones. A table indexed by the identifier's half (id>>1), modulo
// a power of two at least twice the number of entries, puts such a
// window in distinct slots: a lookup is one index and one compare, where
// Go's map hashes the key and probes a group. Collisions (the two sides'
// streams, or an old stream left open) are resolved by linear probing.
package idmap

import "iter"

// Map maps stream identifiers (non-zero) to values of type V. The zero
// Map is empty and ready to use; it allocates on its first Set. It is
// not safe for concurrent use.
type Map[V any] struct {
	slots []slot[V] // len 0 or a power of two; id 0 marks a free slot
	n     int
	// displaced counts the entries not in their home slot. While there
	// are none (the usual case: a window of recent streams), deleting
	// just frees the slot; otherwise the probe run after it is mended.
	displaced int
}

type slot[V any] struct {
	id uint32
	v  V
}

// minSlots is the size of a table's first allocation.
const minSlots = 8

// Len returns the number of entries.
func (m *Map[V]) Len() int { return m.n }

// Get returns the value for id, or the zero V if there is none.
func (m *Map[V]) Get(id uint32) V {
	v, _ := m.Lookup(id)
	return v
}

// Lookup returns the value for id and whether there is one.
func (m *Map[V]) Lookup(id uint32) (V, bool) {
	if m.n > 0 && id != 0 {
		mask := uint32(len(m.slots) - 1)
		for i := id >> 1 & mask; ; i = (i + 1) & mask {
			s := &m.slots[i]
			if s.id == id {
				return s.v, true
			}
			if s.id == 0 {
				break
			}
		}
	}
	var zero V
	return zero, false
}

// Set sets the value for id, which must not be 0.
func (m *Map[V]) Set(id uint32, v V) {
	if id == 0 {
		panic("idmap: stream id 0")
	}
	if (m.n+1)*2 > len(m.slots) {
		m.grow()
	}
	mask := uint32(len(m.slots) - 1)
	for i := id >> 1 & mask; ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.id == id {
			s.v = v
			return
		}
		if s.id == 0 {
			s.id, s.v = id, v
			m.n++
			if i != id>>1&mask {
				m.displaced++
			}
			return
		}
	}
}

// Delete removes id's entry, if any.
func (m *Map[V]) Delete(id uint32) {
	if m.n == 0 || id == 0 {
		return
	}
	mask := uint32(len(m.slots) - 1)
	i := id >> 1 & mask
	for m.slots[i].id != id {
		if m.slots[i].id == 0 {
			return
		}
		i = (i + 1) & mask
	}
	if i != id>>1&mask {
		m.displaced--
	}
	m.n--
	if m.displaced == 0 {
		m.slots[i] = slot[V]{}
		return
	}
	// Backward-shift deletion: move later entries of the probe run into
	// the hole when their home slot does not lie between the hole and
	// them, so that lookups never need tombstones.
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := m.slots[j]
		if s.id == 0 {
			break
		}
		home := s.id >> 1 & mask
		// s may move to i unless home is cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			if home == i {
				m.displaced-- // it moves home
			}
			m.slots[i] = s
			i = j
		}
	}
	m.slots[i] = slot[V]{}
}

// All iterates over the entries, in no particular order. The loop body
// must not Set or Delete.
func (m *Map[V]) All() iter.Seq2[uint32, V] {
	return func(yield func(uint32, V) bool) {
		for i := range m.slots {
			if s := &m.slots[i]; s.id != 0 && !yield(s.id, s.v) {
				return
			}
		}
	}
}

// Values iterates over the values, in no particular order. The loop body
// must not Set or Delete.
func (m *Map[V]) Values() iter.Seq[V] {
	return func(yield func(V) bool) {
		for i := range m.slots {
			if s := &m.slots[i]; s.id != 0 && !yield(s.v) {
				return
			}
		}
	}
}

// grow doubles the table (or makes the first one) and reinserts.
func (m *Map[V]) grow() {
	old := m.slots
	m.slots = make([]slot[V], max(minSlots, 2*len(old)))
	mask := uint32(len(m.slots) - 1)
	m.displaced = 0
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := s.id >> 1 & mask
		for m.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		if i != s.id>>1&mask {
			m.displaced++
		}
		m.slots[i] = s
	}
}
