package httpcommon

import (
	"net/http"

	"github.com/h2kit/h2kit/hpack"
)

// memoMaxFields bounds what a ResponseMemo keeps: a header map of more
// keys or values than this is not remembered (nor is its section), so
// that a memo stays small however big one response was.
const memoMaxFields = 32

// ResponseMemo remembers the header section AppendResponse made from a
// header map last time, with the map's keys and values as they were, so
// that the next response whose map holds the same keys with equal values
// (a handler that sets the same fields each time) gets the same section
// without the work again: lowercasing the names, dropping the
// connection-specific and trailer ones, checking and trimming each value,
// sorting. The section depends only on the map's keys and values (and the
// status, which is not remembered), so a map equal to the remembered one
// gets exactly the section AppendResponse would give; any other map misses
// and is made afresh, then remembered instead.
//
// The memo keeps its own copies of the keys and of the value strings, not
// the map's slices: a value rewritten in place (h["X"][0] = "new") is seen
// as a change. It holds strings of a past response, never hands them to a
// response whose map differs. The zero ResponseMemo is empty; it is not
// safe for concurrent use.
type ResponseMemo struct {
	keys   []string // the map's keys, in the order walked
	counts []int    // the number of values of each key
	vals   []string // the values of all keys, one key's after another
	fields []hpack.Field
	// trailer and contentLength are 1 + the index in keys of "Trailer"
	// and "Content-Length", 0 when the map lacked them.
	trailer, contentLength int
	valid                  bool // the memo holds a map and its section
	full                   bool // the map walked is too big to remember
	// The values of "Trailer" and "Content-Length" in the map of the last
	// call (for Trailer and ContentLength).
	trailerVals, lengthVals []string
}

// AppendResponse is AppendResponse(dst, status, h), from the memo when h
// holds the keys and values of the map of the memo's last call; else it
// makes the section and remembers it, and h.
func (m *ResponseMemo) AppendResponse(dst []hpack.Field, status int, h http.Header) []hpack.Field {
	if m.matches(h) {
		m.trailerVals, m.lengthVals = m.values(m.trailer), m.values(m.contentLength)
		dst = append(dst, hpack.Field{Name: ":status", Value: StatusString(status)})
		return append(dst, m.fields...)
	}
	m.reset()
	start := len(dst)
	dst = appendResponse(dst, status, h, m)
	if m.full || len(dst)-start-1 > memoMaxFields {
		// Too big to remember: the memo stays empty, matching nothing.
		tv, lv := m.trailerVals, m.lengthVals
		m.reset()
		m.trailerVals, m.lengthVals = tv, lv
		return dst
	}
	m.fields = append(m.fields, dst[start+1:]...)
	m.valid = true
	return dst
}

// Trailer returns the values of the key "Trailer" in the map of the last
// AppendResponse (nil when it had none). They are the memo's: valid until
// its next call.
func (m *ResponseMemo) Trailer() []string { return m.trailerVals }

// ContentLength is Trailer for "Content-Length".
func (m *ResponseMemo) ContentLength() []string { return m.lengthVals }

// Keys returns the keys of the map of the last AppendResponse, with ok
// set, when the memo holds them (not when the map was too big to
// remember). They are the memo's: valid until its next call.
func (m *ResponseMemo) Keys() (keys []string, ok bool) { return m.keys, m.valid }

// values returns the remembered values of the key at index i-1 (none
// when i is 0).
func (m *ResponseMemo) values(i int) []string {
	if i == 0 {
		return nil
	}
	j := 0
	for _, n := range m.counts[:i-1] {
		j += n
	}
	return m.vals[j : j+m.counts[i-1] : j+m.counts[i-1]]
}

// matches reports whether h holds the keys the memo remembers, no
// others, each with values equal to the remembered ones, in their order.
// The keys of a map and those remembered are distinct, so the same
// number of them, each remembered one in h, means the same set.
func (m *ResponseMemo) matches(h http.Header) bool {
	if !m.valid || len(h) != len(m.keys) {
		return false
	}
	j := 0
	for i, k := range m.keys {
		vv, ok := h[k]
		n := m.counts[i]
		if !ok || len(vv) != n {
			return false
		}
		for x, v := range vv {
			if v != m.vals[j+x] {
				return false
			}
		}
		j += n
	}
	return true
}

// reset empties the memo, keeping its room. The strings it held are
// cleared so that it keeps no past response alive.
func (m *ResponseMemo) reset() {
	clear(m.keys)
	clear(m.vals)
	clear(m.fields)
	*m = ResponseMemo{keys: m.keys[:0], counts: m.counts[:0], vals: m.vals[:0], fields: m.fields[:0]}
}

// record remembers the key k of the map being walked, with its values.
func (m *ResponseMemo) record(k string, vv []string) {
	switch k {
	case "Trailer":
		m.trailerVals = vv
	case "Content-Length":
		m.lengthVals = vv
	}
	if m.full {
		return
	}
	if len(m.keys) >= memoMaxFields || len(m.vals)+len(vv) > memoMaxFields {
		m.full = true
		return
	}
	m.keys = append(m.keys, k)
	m.counts = append(m.counts, len(vv))
	m.vals = append(m.vals, vv...)
	switch k {
	case "Trailer":
		m.trailer = len(m.keys)
	case "Content-Length":
		m.contentLength = len(m.keys)
	}
}
