package httpcommon

import (
	"net/http"

	"github.com/h2kit/h2kit/hpack"
)

// headerBuilder builds the http.Header of a decoded request or response:
// the strings copied into one block, the first value of each name taken
// from one backing array (vals), common names found in their table and
// remembered in seen, so that their first value goes in without a lookup
// in the header.
type headerBuilder struct {
	h    http.Header
	vals []string
	seen commonSet
	blk  block
}

// newHeaderBuilder sizes a builder for fields, using the room in s when
// it holds them all.
func newHeaderBuilder(fields []hpack.Field, s Scratch) headerBuilder {
	nRegular, n := sizeFields(fields)
	b := headerBuilder{vals: s.Vals[:0], blk: block{b: s.Strs[:0]}}
	if n > cap(s.Strs) {
		b.blk.b = make([]byte, 0, n)
	}
	if nRegular > cap(b.vals) {
		b.vals = make([]string, 0, nRegular)
	}
	b.h = make(http.Header, nRegular)
	return b
}

// add adds a regular field. i is the name's index in commonNames when
// common is true. Other names never canonicalize to a common one: names
// are lowercase (the engine checks it), so their lowercase forms differ.
func (b *headerBuilder) add(name, value string, i uint8, common bool) {
	v := b.blk.str(value)
	if !common {
		b.vals = addValue(b.h, b.vals, b.blk.uncommonName(name), v)
		return
	}
	b.addCommon(i, v)
}

// addCommon adds the value v of a regular field whose name is
// commonNames[i].
func (b *headerBuilder) addCommon(i uint8, v string) {
	k := commonNames[i]
	if b.seen.add(i) {
		b.h[k] = append(b.h[k], v)
		return
	}
	b.vals = setFirst(b.h, b.vals, k, v)
}

// sizeFields counts the regular fields (the cookie fields as one) and
// the bytes a block needs for every value and every regular field's name (a common name takes no
// room, but looking each one up here as well cost more than the few
// bytes it saves).
func sizeFields(fields []hpack.Field) (nRegular, n int) {
	cookies := 0
	for i := range fields {
		n += len(fields[i].Value)
		if !fields[i].IsPseudo() {
			nRegular++
			n += len(fields[i].Name)
			if fields[i].Name == "cookie" {
				cookies++
			}
		}
	}
	// The cookie fields of a request make one header value (joinCookies).
	return nRegular - max(cookies-1, 0), n
}
