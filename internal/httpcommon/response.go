package httpcommon

import (
	"errors"
	"net/http"
	"strings"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// AppendResponse appends a response header section: :status, then the
// fields of h lowercased, without connection-specific fields (RFC 9113,
// Section 8.2.2), without names starting with http.TrailerPrefix (those
// are trailers), and without invalid names or values. Values are trimmed
// of surrounding whitespace. The strings are shared with h.
func AppendResponse(dst []hpack.Field, status int, h http.Header) []hpack.Field {
	dst = append(dst, hpack.Field{Name: ":status", Value: StatusString(status)})
	var named []string
	if c := h["Connection"]; len(c) > 0 {
		named = connectionTokens(c)
	}
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		lk := LowerName(k)
		if lk == "te" {
			continue // a request field (RFC 9113, Section 8.2.2)
		}
		dst = appendRegular(dst, lk, vv, named)
	}
	return dst
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
