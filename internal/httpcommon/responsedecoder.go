package httpcommon

import (
	"net/http"
	"strings"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

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
	// repeated identifies the last section's fields when they came with
	// an identifier (DecodeRepeated) and last holds all its regular
	// fields; 0: unknown. status is that section's :status.
	repeated uint64
	status   int
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
	return d.DecodeRepeated(fields, vals, 0)
}

// DecodeRepeated is Decode for fields that come with an identifier of
// the header block they were decoded from, nonzero when the peer sends
// that block again and again (h2kit.ResponseReceived.Repeated: every
// block with the same nonzero identifier has the same fields). When the
// section decoded last came with the same identifier, these fields are
// that section's, and the response is made from what the decoder kept
// of it without comparing them.
func (d *ResponseDecoder) DecodeRepeated(fields []hpack.Field, vals []string, repeated uint64) (Response, error) {
	if repeated != 0 && repeated == d.repeated {
		return d.decodeSame(vals)
	}
	d.repeated = 0
	r, n, err := d.decode(fields, vals)
	if repeated != 0 && err == nil && len(d.last) == n {
		d.repeated, d.status = repeated, r.Status
	}
	return r, err
}

// decodeSame makes the response of the section decoded last again, from
// the fields kept (DecodeRepeated).
func (d *ResponseDecoder) decodeSame(vals []string) (Response, error) {
	r := Response{Status: d.status, ContentLength: -1}
	var err error
	last := d.last // in a local: the map's assignments do not make the loop load it again
	n := len(last)
	if n > cap(vals) {
		vals = make([]string, n)
	}
	vals = vals[:n]
	h := make(http.Header, n)
	r.Header = h
	for j := range last {
		l := &last[j]
		if l.kind != fieldPlain || l.repeat {
			if e := l.add(&r, l.value, vals[j:j+1:j+1]); e != nil {
				err = e
			}
			continue
		}
		v := vals[j : j+1 : j+1]
		v[0] = l.value
		h[l.key] = v
	}
	return r, err
}

// decode is Decode without an identifier; it returns the number of
// regular fields too.
func (d *ResponseDecoder) decode(fields []hpack.Field, vals []string) (Response, int, error) {
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
	return r, n, err
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
