package httpcommon

import (
	"errors"
	"net/http"
	"slices"
	"strings"

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
	return appendResponse(dst, status, h, nil)
}

// appendResponse is AppendResponse; when rec is not nil, it also records
// in rec the keys and values of h it walked (ResponseMemo.record).
func appendResponse(dst []hpack.Field, status int, h http.Header, rec *ResponseMemo) []hpack.Field {
	dst = append(dst, hpack.Field{Name: ":status", Value: StatusString(status)})
	start := len(dst)
	var connection []string
	for k, vv := range h {
		if rec != nil {
			rec.record(k, vv)
		}
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
