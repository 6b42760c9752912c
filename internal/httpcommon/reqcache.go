package httpcommon

import (
	"net/http"
	"strings"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
)

// RequestCache remembers, for one connection, the strings of the fields
// of the requests it decoded last, by position: a browser sends the same
// fields in the same order request after request (HPACK-indexed), and
// Decode gives a field with the same name and value as the one cached at
// its position the cached copy of its value and the canonical form of its
// name, instead of copying them again. Only the fields that changed are
// copied, into a block of their own.
//
// Sharing the strings between requests is safe: they are immutable, and
// the bytes behind them, a block an earlier request copied its fields
// into, are never written again. What a handler owns and may modify, the
// header map and its value slices, is still made for each request.
//
// The cache keeps blocks alive: at most reqSlots of them, each at most
// maxCachedBlock bytes (a request whose changed fields need more is
// decoded without caching them), and it remembers at most
// maxCachedFields positions. A Sensitive field (never indexed, RFC 7541
// Section 6.2.3) is neither cached nor compared.
//
// A RequestCache is for one goroutine at a time; its zero value is ready
// to use.
type RequestCache struct {
	ents []cachedField // by position in the request's fields
	// cookie is the joined value of the cookie fields of a request
	// (joinCookies); the cookie entries that hold its crumbs are
	// substrings of it, which is how Decode knows that a request's cookie
	// fields join into it.
	cookie     string
	cookieSlot uint8
	refs       [reqSlots]uint8 // per slot, the entries (and cookie) in its block
	// gen counts the changes of ents and cookie; sum describes the
	// request of the first sum.n cached fields, made since the last.
	gen uint64
	sum cacheSummary
	// repeated is the identifier DecodeRepeated was given for the request
	// being decoded (0: none), which c.sum takes when it describes it.
	repeated uint64
}

// cachedField is a field as a RequestCache remembers it: its strings are
// in the block of slot-1, and what Decode does with it is known.
type cachedField struct {
	// name is the field's name, lowercase, as it came; value is its
	// value.
	name, value string
	key         string // the canonical name of a regular field
	kind        reqKind
	idx         uint8 // the index in commonNames, for the common names
	slot        uint8 // 1 + the slot of the block holding the strings; 0: empty
	// missed: the field at this position in the last request differed
	// from the one cached then (not set when there was none).
	missed bool
}

// cacheSummary is a request whose fields were all the cached ones, as
// Decode made it, for the next such request: decodeSame makes that one
// from it alone. Its strings are the cache's.
type cacheSummary struct {
	gen uint64
	// repeated identifies the fields of the request described when the
	// peer repeats its header block (DecodeRepeated); 0: unknown.
	repeated uint64
	n        int     // the number of fields; 0: none
	path     int     // the position of :path among them, -1 if none
	req      Request // without Header
	// noCond: the header has no field of a conditional or range request
	// (Repeats).
	noCond bool
	// keys and vals are the header's keys and their first values; more
	// holds the values after a key's first, as pairs of key and value.
	keys, vals, more []string
}

const (
	// reqSlots bounds the blocks a RequestCache keeps alive.
	reqSlots = 4
	// maxCachedBlock bounds the size of a block a RequestCache keeps.
	maxCachedBlock = 8 << 10
	// maxCachedFields bounds the positions a RequestCache remembers (and
	// fits Decode's bit set of hits).
	maxCachedFields = 64
	// scratchMisses is the most changed fields that Decode copies into
	// the caller's scratch room (when they fit, and changed in the
	// request before too) instead of into a block the cache keeps: a
	// field that changes with every request, such as :path, is then
	// copied where it costs no allocation.
	scratchMisses = 2
)

// Decode converts a request's fields as DecodeRequestScratch does,
// sharing the strings of the fields equal to those cached at their
// positions, and caching the others when it copies them into a block of
// their own.
func (c *RequestCache) Decode(fields []hpack.Field, s Scratch) (Request, error) {
	return c.DecodeRepeated(fields, s, 0)
}

// DecodeRepeated is Decode for fields that come with an identifier of
// the header block they were decoded from, nonzero when the peer sends
// that block again and again (h2kit.RequestReceived.Repeated: every
// block with the same nonzero identifier has the same fields). When the
// request the cache describes (the last one whose fields were all the
// cached ones) came with the same identifier, these fields are that
// request's, and it is made again without comparing them.
func (c *RequestCache) DecodeRepeated(fields []hpack.Field, s Scratch, repeated uint64) (Request, error) {
	if _, _, ok := c.Repeats(len(fields), repeated); ok {
		return c.decodeSame(s)
	}
	c.repeated = repeated
	hits := c.match(fields)
	if n := len(fields); n == c.sum.n && n > 0 && c.sum.gen == c.gen {
		all := uint64(1)<<n - 1
		if hits == all {
			if repeated != 0 {
				c.sum.repeated = repeated
			}
			return c.decodeSame(s)
		}
		// Only the :path differs, as in a client's requests for one
		// resource after another: that request, with this :path.
		if i := c.sum.path; i >= 0 && hits|1<<(uint(i)&63) == all && fields[i].Name == ":path" {
			r, err := c.decodeSame(s)
			r.Path = scratchString(fields[i].Value, s.Strs)
			return r, err
		}
	}
	return decodeRequest(c, hits, fields, s)
}

// Repeats reports whether DecodeRepeated, given n fields and the
// identifier repeated, makes the request again from the last one without
// looking at the fields: then its strings are all shared, none goes into
// the Scratch's Strs, vals is the number of values it puts in Vals (more
// only for keys with several values), and noConditionals tells that its
// header has none of the fields of a conditional or range request
// (RFC 9110, Sections 13.1 and 14.2: If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, If-Range, Range).
func (c *RequestCache) Repeats(n int, repeated uint64) (vals int, noConditionals, ok bool) {
	if repeated != 0 && repeated == c.sum.repeated && c.sum.gen == c.gen && c.sum.n == n {
		return len(c.sum.keys), c.sum.noCond, true
	}
	return 0, false, false
}

// conditionalKey reports whether k, a canonical name, may be the name of
// a field of a conditional or range request: Range, or any If- name.
func conditionalKey(k string) bool {
	return k == "Range" || len(k) > 3 && k[:3] == "If-"
}

// scratchString returns a copy of v, in room when it fits.
func scratchString(v string, room []byte) string {
	if len(v) == 0 {
		return ""
	}
	if len(v) > cap(room) {
		return strings.Clone(v)
	}
	room = append(room[:0], v...)
	return unsafe.String(&room[0], len(v))
}

// match returns the set of the fields (bit i for fields[i]) that are
// the ones cached at their positions.
func (c *RequestCache) match(fields []hpack.Field) (hits uint64) {
	ents := c.ents
	n := min(len(fields), len(ents))
	for i := 0; i < n; i++ {
		f, e := &fields[i], &ents[i]
		if len(f.Name) != len(e.name) || len(f.Value) != len(e.value) || e.slot == 0 || f.Sensitive {
			continue
		}
		if f.Name == e.name && f.Value == e.value {
			hits |= 1 << (uint(i) & 63)
		}
	}
	return hits
}

// decodeSame decodes the request of c.sum again: a request whose fields
// are all the cached ones, as many as that one's.
func (c *RequestCache) decodeSame(s Scratch) (Request, error) {
	sum := &c.sum
	r := sum.req
	n := len(sum.keys)
	vals := s.Vals[:0]
	if n > cap(vals) {
		vals = make([]string, 0, n)
	}
	vals = vals[:n]
	copy(vals, sum.vals)
	h := make(http.Header, n)
	for j, k := range sum.keys {
		h[k] = vals[j : j+1 : j+1]
	}
	for j := 0; j+1 < len(sum.more); j += 2 {
		h[sum.more[j]] = append(h[sum.more[j]], sum.more[j+1])
	}
	r.Header = h
	return r, nil
}

// summarize keeps r, just made from the n fields at the start of the
// cache, all of them the ones cached, as c.sum; not when there was an
// error or a Trailer (a map of the request's own).
func (c *RequestCache) summarize(r *Request, n int) {
	c.resetSummary()
	if r.Trailer != nil {
		return
	}
	sum := &c.sum
	sum.noCond = true
	for k, vv := range r.Header {
		if conditionalKey(k) {
			sum.noCond = false
		}
		sum.keys = append(sum.keys, k)
		sum.vals = append(sum.vals, vv[0])
		for _, v := range vv[1:] {
			sum.more = append(sum.more, k, v)
		}
	}
	sum.req = *r
	sum.req.Header = nil
	sum.gen, sum.n, sum.path, sum.repeated = c.gen, n, -1, c.repeated
	for i := range c.ents[:n] {
		if c.ents[i].kind == reqPath {
			sum.path = i
		}
	}
}

// changed notes a change of the cached fields or cookie: c.sum, made
// from them, is forgotten, so that it keeps no block alive that the
// cache itself no longer holds.
func (c *RequestCache) changed() {
	c.gen++
	if c.sum.n != 0 {
		c.resetSummary()
	}
}

// resetSummary forgets c.sum, keeping its arrays but not their strings.
func (c *RequestCache) resetSummary() {
	sum := &c.sum
	clear(sum.keys)
	clear(sum.vals)
	clear(sum.more)
	*sum = cacheSummary{keys: sum.keys[:0], vals: sum.vals[:0], more: sum.more[:0]}
}

// crumbAt reports whether the cached cookie crumb v starts at offset at
// of the cached joined cookie.
func (c *RequestCache) crumbAt(v string, at int) bool {
	return len(v) > 0 && at+len(v) <= len(c.cookie) &&
		unsafe.StringData(v) == unsafe.StringData(c.cookie[at:])
}

// acquire returns a slot (1-based) for a new block: a free one, or else
// the one holding the fewest entries among those no field of the current
// request shares (used: bit s for slot s+1), whose entries are dropped.
// 0: every slot is in use by the current request.
func (c *RequestCache) acquire(used uint32) uint8 {
	victim := -1
	for s := range c.refs {
		if c.refs[s] == 0 {
			return uint8(s + 1)
		}
		if used&(1<<s) == 0 && (victim < 0 || c.refs[s] < c.refs[victim]) {
			victim = s
		}
	}
	if victim < 0 {
		return 0
	}
	slot := uint8(victim + 1)
	for i := range c.ents {
		if c.ents[i].slot == slot {
			c.ents[i] = cachedField{}
		}
	}
	if c.cookieSlot == slot {
		c.cookie, c.cookieSlot = "", 0
	}
	c.refs[victim] = 0
	c.changed()
	return slot
}

// set caches e, whose strings are in the block of e.slot, at position i.
func (c *RequestCache) set(i int, e cachedField) {
	if old := c.ents[i].slot; old != 0 {
		c.refs[old-1]--
	}
	c.refs[e.slot-1]++
	c.ents[i] = e
	c.changed()
}

// cache copies the name and value of the field f at position i, of the
// given kind and common index, into blk, the block of slot, caches it,
// and returns the copy of its value and its key.
func (c *RequestCache) cache(i int, f *hpack.Field, kind reqKind, idx uint8, slot uint8, blk *block) (v, key string) {
	e := cachedField{name: blk.str(f.Name), value: blk.str(f.Value), kind: kind, idx: idx, slot: slot, missed: c.ents[i].missed}
	switch {
	case kind == reqUncommon:
		e.key = blk.uncommonName(f.Name)
	case kind < reqUncommon:
		e.key = commonNames[idx]
	}
	c.set(i, e)
	return e.value, e.key
}

// setCookie caches joined, the joined value of the cookie fields of
// fields[from:] (joinCookies), in the block of slot, and the cookie
// fields at their positions as the substrings of it they became.
func (c *RequestCache) setCookie(joined string, slot uint8, fields []hpack.Field, from int) {
	if c.cookieSlot != 0 {
		c.refs[c.cookieSlot-1]--
	}
	c.cookie, c.cookieSlot = joined, slot
	c.refs[slot-1]++
	c.changed()
	at := 0
	for i := from; i < len(fields); i++ {
		f := &fields[i]
		if f.Name != "cookie" {
			continue
		}
		// Where joinCookies put it: after "; " unless nothing came before.
		if at > 0 {
			at += 2
		}
		if i < len(c.ents) && len(f.Value) > 0 && !f.Sensitive {
			c.set(i, cachedField{name: "cookie", value: joined[at : at+len(f.Value)], kind: reqCookie, slot: slot, missed: c.ents[i].missed})
		}
		at += len(f.Value)
	}
}
