package httpcommon

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// AppendResponse appends a response header section: :status, then the
// fields of h lowercased, without connection-specific fields (RFC 9113,
// Section 8.2.2), without names starting with http.TrailerPrefix (those
// are trailers), and without invalid names or values. Values are trimmed
// of surrounding whitespace. The strings are shared with h.
//
// The regular fields come in one order (sortFieldsByName's), whatever
// order the map gives them in, the values of a name in their order in h:
// a handler that sets the same fields for every response gets the same
// section every time, which the HPACK encoder sends as indexes into its
// dynamic table without looking each field up (hpack.Encoder's fast path
// for a field at the same place as in the block before), and a peer's
// decoder finds the section of the response before.
func AppendResponse(dst []hpack.Field, status int, h http.Header) []hpack.Field {
	dst = append(dst, hpack.Field{Name: ":status", Value: StatusString(status)})
	start := len(dst)
	var connection []string
	for k, vv := range h {
		lk, common := lowerCommon(k)
		if !common {
			if strings.HasPrefix(k, http.TrailerPrefix) {
				continue
			}
			if lk = strings.ToLower(k); lk != "te" { // "TE", as "Te" below
				dst = appendRegular(dst, lk, vv, nil)
			}
			continue
		}
		// A common name is a valid one, lowercase.
		switch {
		case lk == "connection":
			connection = vv
			continue
		case lk == "te" || connectionSpecific(lk):
			// Connection-specific, or TE, a request field (RFC 9113,
			// Section 8.2.2).
			continue
		}
		dst = appendValues(dst, lk, vv)
	}
	if len(connection) > 0 {
		// The names Connection lists are connection-specific too (RFC
		// 9110, Section 7.6.1), whichever came first in the map.
		named := connectionTokens(connection)
		kept := slices.DeleteFunc(dst[start:], func(f hpack.Field) bool {
			return slices.Contains(named, f.Name)
		})
		dst = dst[:start+len(kept)]
	}
	sortFieldsByName(dst[start:])
	return dst
}

// lowerCommon returns the lowercase form of a canonical common name
// (one of commonNames), and whether k is one; as LowerName's lookup in
// lowerOf, without hashing the whole name: it finds k's slot in
// commonSlots as lookupCommon finds its lowercase form's, with the bytes
// commonHash reads lowercased.
func lowerCommon(k string) (string, bool) {
	n := len(k)
	if n == 0 {
		return "", false
	}
	x := uint32(n) | uint32(lowerASCII(k[0]))<<8 | uint32(lowerASCII(k[n/2]))<<16 | uint32(lowerASCII(k[n-1]))<<24
	for h := (x * 0x9e3779b1) >> (32 - 9); ; h++ {
		e := commonSlots[h%uint32(len(commonSlots))]
		if e == 0 {
			return "", false
		}
		if commonNames[e-1] == k {
			return commonLower[e-1], true
		}
	}
}

// lowerASCII returns b, an ASCII capital letter made lowercase.
func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// sortFieldsByName sorts fs by the length of their names, then by name,
// stably, so that the values of one name keep their order: any order
// that is the same for the same names would do, and this one mostly
// compares two lengths. A response has a handful of fields, which an
// insertion sort orders in a few steps; a long section takes
// slices.SortStableFunc.
func sortFieldsByName(fs []hpack.Field) {
	if len(fs) > 16 {
		slices.SortStableFunc(fs, func(a, b hpack.Field) int {
			if c := len(a.Name) - len(b.Name); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		return
	}
	for i := 1; i < len(fs); i++ {
		f := fs[i]
		j := i
		for ; j > 0 && fieldBefore(f.Name, fs[j-1].Name); j-- {
			fs[j] = fs[j-1]
		}
		fs[j] = f
	}
}

// fieldBefore reports whether name a sorts before name b in
// sortFieldsByName's order.
func fieldBefore(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// AppendTrailers appends the trailer fields of a response: the values in
// h of the names declared (the keys of declared, canonical), and every
// name in h with the http.TrailerPrefix, the prefix removed. Fields that
// cannot be trailers (content-length, connection-specific, ...) are left
// out.
func AppendTrailers(dst []hpack.Field, h http.Header, declared []string) []hpack.Field {
	for _, k := range declared {
		if vv := h[k]; len(vv) > 0 {
			dst = appendTrailer(dst, LowerName(k), vv)
		}
	}
	for k, vv := range h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && len(vv) > 0 {
			dst = appendTrailer(dst, LowerName(name), vv)
		}
	}
	return dst
}

func appendTrailer(dst []hpack.Field, lower string, vv []string) []hpack.Field {
	switch lower {
	case "content-length", "trailer", "te", "host", "content-type", "content-encoding":
		// Fields that frame or route the message do not belong in
		// trailers (RFC 9110, Section 6.5.1).
		if lower != "content-type" && lower != "content-encoding" {
			return dst
		}
	}
	return appendRegular(dst, lower, vv, nil)
}

// Response is a response header section in net/http terms.
type Response struct {
	Status int
	// Header as in DecodeRequest: canonical names, without Trailer.
	Header        http.Header
	Trailer       http.Header // declared names, nil values
	ContentLength int64       // -1 when absent
}

// ErrBadStatus: a :status that is not three digits.
var ErrBadStatus = errors.New("httpcommon: invalid :status")

// DecodeResponse converts a response's fields, copying their strings.
func DecodeResponse(fields []hpack.Field) (Response, error) {
	return DecodeResponseScratch(fields, Scratch{})
}

// DecodeResponseScratch is DecodeResponse with the scratch room s, as
// DecodeRequestScratch: a client puts it in the allocation that holds
// the rest of a response, so that a small response costs no allocation
// of its own for its values and strings.
func DecodeResponseScratch(fields []hpack.Field, s Scratch) (Response, error) {
	r := Response{ContentLength: -1}
	b := newHeaderBuilder(fields, s)
	r.Header = b.h
	var err error
	for i := range fields {
		f := &fields[i]
		if f.IsPseudo() {
			if f.Name == ":status" {
				r.Status = httpsyntax.ParseStatus(f.Value)
				if r.Status == 0 {
					err = ErrBadStatus
				}
			}
			continue
		}
		switch f.Name {
		case "trailer":
			r.Trailer = declareTrailers(r.Trailer, f.Value)
			continue
		case "content-length":
			var bad bool
			r.ContentLength, bad = addContentLength(r.ContentLength, f.Value)
			if bad {
				err = ErrBadContentLength
			}
		}
		i, common := lookupCommon(f.Name)
		b.add(f.Name, f.Value, i, common)
	}
	if r.Status == 0 && err == nil {
		err = ErrBadStatus
	}
	return r, err
}

// ResponseDecoder is DecodeResponse for the responses of one connection,
// one after the other: a server answers with much the same fields in the
// same order again and again. It keeps the regular fields of the section
// it decoded last (their names, canonical names and values); a section
// with the same names in the same order, the usual case, takes each
// canonical name from there without a lookup, and a value equal to the
// one before shares its string instead of copying it (strings are
// immutable: every response may hold the same one). The strings it does
// copy go into a chunk that the responses of the connection share, so
// that a response's header costs no allocation of its own beyond the map
// and, when vals is too small, its values.
//
// A ResponseDecoder is for one goroutine at a time; its zero value is
// ready to use.
type ResponseDecoder struct {
	last  []lastField // the regular fields of the last section, in order
	chunk []byte      // room for the strings copied, shared by the responses
}

// lastField is a regular field of the section a ResponseDecoder decoded
// last. Its strings are the decoder's own copies.
type lastField struct {
	name   string // lowercase, as it came
	key    string // canonical: the http.Header key
	value  string
	kind   fieldKind
	repeat bool  // the name came earlier in that section
	length int64 // the content-length value, parsed (fieldContentLength)
}

type fieldKind uint8

const (
	fieldPlain         fieldKind = iota
	fieldContentLength           // content-length: in the header and ContentLength
	fieldTrailer                 // trailer: declares Response.Trailer, not in the header
)

// maxLastFields bounds the fields a ResponseDecoder keeps; a section with
// more is decoded without comparing it to the one before.
const maxLastFields = 32

// chunkSize is the size of the chunks a ResponseDecoder copies strings
// into; a string longer than a quarter of it gets an allocation of its
// own. A response keeps the chunks its strings are in alive.
const chunkSize = 1024

// Decode converts a response's fields, as DecodeResponse does. The first
// value of each name goes into vals when it has room for all of them
// (vals is used from its length 0; the caller must not reuse it while the
// response lives).
func (d *ResponseDecoder) Decode(fields []hpack.Field, vals []string) (Response, error) {
	r := Response{ContentLength: -1}
	var err error
	// The pseudo-header fields come first (RFC 9113, Section 8.3; the
	// engine checks it): a response's :status.
	regular := fields
	for len(regular) > 0 && regular[0].IsPseudo() {
		if regular[0].Name == ":status" {
			if r.Status = httpsyntax.ParseStatus(regular[0].Value); r.Status == 0 {
				err = ErrBadStatus
			}
		}
		regular = regular[1:]
	}
	n := len(regular)
	if n > cap(vals) {
		vals = make([]string, n)
	}
	vals = vals[:n] // vals[j] for regular[j], if it is a name's first value
	r.Header = make(http.Header, n)
	last := d.last
	if len(last) != n {
		last = nil
	}
	// The names of the last section, in the same order, as far as they
	// go.
	j := 0
	for ; j < len(last); j++ {
		f, l := &regular[j], &last[j]
		if f.Name != l.name {
			break
		}
		v := l.value
		if f.Value != v {
			v = d.str(f.Value)
			l.value, l.length = v, -1
		}
		if l.kind != fieldPlain || l.repeat {
			if e := l.add(&r, v, vals[j:j+1:j+1]); e != nil {
				err = e
			}
			continue
		}
		vals[j] = v
		r.Header[l.key] = vals[j : j+1 : j+1]
	}
	if j < n {
		d.decodeFrom(&r, &err, regular, j, vals)
	}
	if r.Status == 0 && err == nil {
		err = ErrBadStatus
	}
	return r, err
}

// add adds a field that is not a plain first value to r: a name seen
// before in the section, content-length or trailer. slot is the room for
// a first value.
func (l *lastField) add(r *Response, v string, slot []string) error {
	var err error
	switch l.kind {
	case fieldTrailer:
		r.Trailer = declareTrailers(r.Trailer, v)
		return nil
	case fieldContentLength:
		if l.length < 0 || l.repeat {
			var bad bool
			r.ContentLength, bad = addContentLength(r.ContentLength, v)
			if bad {
				err = ErrBadContentLength
			}
			l.length = r.ContentLength
		} else {
			r.ContentLength = l.length // the value parsed last time
		}
	}
	if l.repeat {
		r.Header[l.key] = append(r.Header[l.key], v)
	} else {
		slot[0] = v
		r.Header[l.key] = slot
	}
	return err
}

// decodeFrom decodes the fields of regular from its jth on, the first
// whose name differs from the last section's, and keeps the section as
// the last one. A pseudo-header field among them (not from the engine,
// which rejects it) counts as DecodeResponse counts it.
func (d *ResponseDecoder) decodeFrom(r *Response, err *error, regular []hpack.Field, j int, vals []string) {
	keep := true
	last := d.last[:j]
	for i := j; i < len(regular); i++ {
		f := &regular[i]
		if f.IsPseudo() {
			if f.Name == ":status" {
				if r.Status = httpsyntax.ParseStatus(f.Value); r.Status == 0 {
					*err = ErrBadStatus
				}
			}
			keep = false
			continue
		}
		l := lastField{name: d.str(f.Name), value: d.str(f.Value), length: -1}
		if c, common := lookupCommon(f.Name); common {
			l.key = commonNames[c]
		} else {
			l.key = d.canonical(f.Name)
		}
		switch f.Name {
		case "trailer":
			l.kind = fieldTrailer
		case "content-length":
			l.kind = fieldContentLength
		}
		if l.kind != fieldTrailer {
			_, l.repeat = r.Header[l.key]
		}
		if e := l.add(r, l.value, vals[i:i+1:i+1]); e != nil {
			*err = e
		}
		if keep && len(last) < maxLastFields {
			last = append(last, l)
		} else {
			keep = false
		}
	}
	if !keep {
		clear(last) // no strings kept alive for nothing
		last = last[:0]
	}
	d.last = last
}

// str returns a copy of s, in the decoder's current chunk if it fits.
// The chunk's bytes are never written again once handed out.
func (d *ResponseDecoder) str(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > cap(d.chunk)-len(d.chunk) {
		if len(s) > chunkSize/4 {
			return strings.Clone(s)
		}
		d.chunk = make([]byte, 0, chunkSize)
	}
	at := len(d.chunk)
	d.chunk = append(d.chunk, s...)
	return unsafe.String(&d.chunk[at], len(s))
}

// canonical returns the canonical form of a lowercase name that is not a
// common one, copied as str copies.
func (d *ResponseDecoder) canonical(lower string) string {
	if lower == "" {
		return ""
	}
	if len(lower) > cap(d.chunk)-len(d.chunk) && len(lower) <= chunkSize/4 {
		d.chunk = make([]byte, 0, chunkSize)
	}
	if len(lower) > cap(d.chunk)-len(d.chunk) {
		return string(appendCanonical(nil, lower))
	}
	at := len(d.chunk)
	d.chunk = appendCanonical(d.chunk, lower)
	return unsafe.String(&d.chunk[at], len(d.chunk)-at)
}

// DecodeTrailers adds trailer fields to t (which must not be nil), under
// canonical names, copying their strings.
func DecodeTrailers(t http.Header, fields []hpack.Field) {
	blk := newBlock(fields)
	for i := range fields {
		f := &fields[i]
		if f.IsPseudo() {
			continue
		}
		k := blk.name(f.Name)
		t[k] = append(t[k], blk.str(f.Value))
	}
}

// AppendHeader appends the regular fields of h, lowercased, without
// connection-specific fields or invalid names and values.
func AppendHeader(dst []hpack.Field, h http.Header) []hpack.Field {
	var named []string
	if c := h["Connection"]; len(c) > 0 {
		named = connectionTokens(c)
	}
	for k, vv := range h {
		dst = appendRegular(dst, LowerName(k), vv, named)
	}
	return dst
}
