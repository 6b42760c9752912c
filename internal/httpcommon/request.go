package httpcommon

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// Request is a request header section in net/http terms.
type Request struct {
	Method    string // :method
	Scheme    string // :scheme
	Authority string // :authority, or the host field when it is absent
	Path      string // :path
	Protocol  string // :protocol (RFC 8441 extended CONNECT)
	// Header holds the regular fields under their canonical names, cookie
	// fields joined into one (RFC 9113, Section 8.2.3), without Host and
	// Trailer.
	Header http.Header
	// Trailer has the names declared by the trailer field, with nil values.
	Trailer http.Header
	// ContentLength is the content-length field, or -1 when absent.
	ContentLength int64
}

// ErrBadContentLength: a content-length field that is not a number, or two
// that differ.
var ErrBadContentLength = errors.New("httpcommon: invalid content-length")

// DecodeRequest converts a request's fields. The strings of the result are
// copied (into one block), so fields may be reused afterwards.
func DecodeRequest(fields []hpack.Field) (Request, error) {
	return DecodeRequestScratch(fields, Scratch{})
}

// Scratch is room a caller lends DecodeRequestScratch for the parts of a
// request it would otherwise allocate: Vals for the header's values (the
// first value of each name), Strs for the copies of the strings. Either
// is used only if it is large enough for the whole request; the result
// then points into it, so it must not be reused while the request lives.
type Scratch struct {
	Vals []string
	Strs []byte
}

// DecodeRequestScratch is DecodeRequest with the scratch room s: a
// server puts it in the allocation that holds the rest of a request, so
// that a small request costs no allocation of its own for these.
func DecodeRequestScratch(fields []hpack.Field, s Scratch) (Request, error) {
	return decodeRequest(nil, 0, fields, s)
}

// reqKind is what decodeRequest does with a field, known from its name.
type reqKind uint8

const (
	reqCommon        reqKind = iota // a regular field with a name in commonNames
	reqContentLength                // content-length: in the header and ContentLength
	reqCookie                       // joined with the other cookie fields into one value
	reqHost                         // the Authority when :authority is absent
	reqTrailer                      // declares Trailer; not in the header
	reqUncommon                     // a regular field with another name
	reqMethod                       // :method, then the other pseudo-header fields
	reqScheme
	reqAuthority
	reqPath
	reqProtocol
	reqPseudo // any other pseudo-header field: ignored
)

// commonKinds holds the kind of each name of commonNames.
var commonKinds = func() (k [maxCommon]reqKind) {
	for i, n := range commonNames {
		switch n {
		case "Content-Length":
			k[i] = reqContentLength
		case "Cookie":
			k[i] = reqCookie
		case "Host":
			k[i] = reqHost
		case "Trailer":
			k[i] = reqTrailer
		}
	}
	return k
}()

// requestKind returns the kind of a field's name, and its index in
// commonNames for the kinds up to reqTrailer.
func requestKind(name string) (reqKind, uint8) {
	if len(name) > 0 && name[0] == ':' {
		switch name {
		case ":method":
			return reqMethod, 0
		case ":scheme":
			return reqScheme, 0
		case ":authority":
			return reqAuthority, 0
		case ":path":
			return reqPath, 0
		case ":protocol":
			return reqProtocol, 0
		}
		return reqPseudo, 0
	}
	if i, ok := lookupCommon(name); ok {
		return commonKinds[i], i
	}
	return reqUncommon, 0
}

// fieldPlan is what decodeRequest's first pass found out about a field
// that it has to copy.
type fieldPlan struct {
	kind reqKind
	idx  uint8
}

// decodeRequest is DecodeRequestScratch, with the cache c unless it is
// nil, hits being the fields that are the ones cached at their
// positions (RequestCache.match). A first pass finds the kind of the
// other fields and the room their strings take; the second builds the
// request, copying only those into one block and caching them when the
// block is the cache's to keep. The scratch room takes them instead when
// they fit in it, are few and all changed in the request before too: a
// field that changes with every request, such as :path, costs no
// allocation, while one that changed once is cached and the requests
// after it are the cached one again.
func decodeRequest(c *RequestCache, hits uint64, fields []hpack.Field, s Scratch) (Request, error) {
	var plans [maxCachedFields]fieldPlan
	var used uint32 // bit s: a hit's strings are in slot s+1's block
	nRegular, n, misses, cacheable := 0, 0, 0, 0
	fresh := 0 // misses of fields that were the cached ones last time
	cookies, cookieBytes, cookieAt := 0, 0, 0
	// joined is the cached cookie value while every cookie field so far
	// is, in order, one of the crumbs it was joined from.
	joined := ""
	nameCopies := 0 // the cache keeps a copy of each name
	if c != nil {
		joined, nameCopies = c.cookie, 1
	}
	for i := range fields {
		f := &fields[i]
		if hits>>(uint(i)&63)&1 != 0 && i < 64 {
			e := &c.ents[i]
			e.missed = false
			used |= 1 << ((e.slot - 1) & 31)
			switch e.kind {
			case reqCommon, reqContentLength, reqUncommon:
				nRegular++
			case reqCookie:
				cookies++
				cookieBytes += len(e.value)
				if cookieAt > 0 {
					cookieAt += 2 // as joinCookies separates them
				}
				if !c.crumbAt(e.value, cookieAt) {
					joined = ""
				}
				cookieAt += len(e.value)
			}
			continue
		}
		misses++
		if c != nil && i < len(c.ents) && c.ents[i].slot != 0 {
			if e := &c.ents[i]; !e.missed {
				fresh++
				e.missed = true
			}
		} else {
			fresh++
		}
		k, idx := requestKind(f.Name)
		if i < len(plans) {
			plans[i] = fieldPlan{k, idx}
			if k != reqPseudo && !f.Sensitive {
				cacheable++
			}
		}
		switch k {
		case reqCommon, reqContentLength:
			nRegular++
		case reqUncommon:
			nRegular++
			n += len(f.Name) // the canonical form
		case reqCookie:
			cookies++
			cookieBytes += len(f.Value)
			joined = ""
			continue // copied by joinCookies
		}
		n += len(f.Value) + nameCopies*len(f.Name)
	}
	rejoin := false
	if cookies > 0 {
		nRegular++ // one Cookie value (RFC 9113, Section 8.2.3)
		if joined == "" || cookieAt != len(joined) {
			rejoin, joined = true, ""
			n += cookieBytes + 2*(cookies-1)
		} else {
			used |= 1 << ((c.cookieSlot - 1) & 31)
		}
	}

	var blk block
	slot := uint8(0) // 1 + the cache's slot for blk; 0: the copies are not cached
	switch {
	case n == 0:
	case n <= cap(s.Strs) && (c == nil || misses <= scratchMisses && fresh == 0):
		blk.b = s.Strs[:0]
	default:
		blk.b = make([]byte, 0, n)
		if c != nil && cacheable > 0 && n <= maxCachedBlock {
			slot = c.acquire(used)
		}
	}
	if want := min(len(fields), maxCachedFields); slot != 0 && len(c.ents) < want {
		c.ents = append(c.ents, make([]cachedField, want-len(c.ents))...)
	}

	r := Request{ContentLength: -1}
	b := headerBuilder{vals: s.Vals[:0], blk: blk}
	if nRegular > cap(b.vals) {
		b.vals = make([]string, 0, nRegular)
	}
	b.h = make(http.Header, nRegular)
	r.Header = b.h
	var host, key string
	var err error
	sawCookie := false
	for i := range fields {
		f := &fields[i]
		var kind reqKind
		var idx uint8
		var v string
		if hits>>(uint(i)&63)&1 != 0 && i < 64 {
			e := &c.ents[i]
			kind, idx, v, key = e.kind, e.idx, e.value, e.key
		} else {
			if i < len(plans) {
				kind, idx = plans[i].kind, plans[i].idx
			} else {
				kind, idx = requestKind(f.Name)
			}
			switch {
			case kind == reqCookie: // joinCookies copies it
			case slot != 0 && i < len(c.ents) && kind != reqPseudo && !f.Sensitive:
				v, key = c.cache(i, f, kind, idx, slot, &b.blk)
			default:
				v, key = b.blk.str(f.Value), ""
				if kind == reqUncommon {
					key = b.blk.uncommonName(f.Name)
				}
			}
		}
		switch kind {
		case reqCommon:
			b.addCommon(idx, v)
		case reqUncommon:
			b.vals = addValue(b.h, b.vals, key, v)
		case reqContentLength:
			var bad bool
			r.ContentLength, bad = addContentLength(r.ContentLength, v)
			if bad {
				err = ErrBadContentLength
			}
			b.addCommon(idx, v)
		case reqCookie:
			if !sawCookie {
				sawCookie = true
				if rejoin {
					joined = joinCookies(&b.blk, fields[i:])
					if slot != 0 {
						c.setCookie(joined, slot, fields, i)
					}
				}
				b.vals = setFirst(b.h, b.vals, "Cookie", joined)
			}
		case reqHost:
			host = v
		case reqTrailer:
			r.Trailer = declareTrailers(r.Trailer, v)
		case reqMethod:
			r.Method = v
		case reqScheme:
			r.Scheme = v
		case reqAuthority:
			r.Authority = v
		case reqPath:
			r.Path = v
		case reqProtocol:
			r.Protocol = v
		}
	}
	if r.Authority == "" {
		r.Authority = host
	}
	if c != nil && misses == 0 && !rejoin && err == nil && len(fields) <= maxCachedFields {
		c.summarize(&r, len(fields))
	}
	return r, err
}

// HTTPRequest fills req with the net/http form of the request head r, as
// both roles build it for a request that came from the peer (a server's
// request, a client's pushed one): the method, the URL parsed from :path
// (for CONNECT without :protocol, RFC 9113 Section 8.5, the :authority
// alone), HTTP/2.0, the header and the host. The caller sets what its
// role adds (RequestURI, RemoteAddr, TLS, Body, ContentLength, ...); it
// leaves req's other fields as they are, its context among them.
func (r *Request) HTTPRequest(req *http.Request) error {
	return r.HTTPRequestURL(req, new(url.URL))
}

// HTTPRequestURL is HTTPRequest with req.URL in u, which the caller
// provides (a server allocates it with other per-request state).
func (r *Request) HTTPRequestURL(req *http.Request, u *url.URL) error {
	if r.Method == http.MethodConnect && r.Protocol == "" {
		*u = url.URL{Host: r.Authority}
	} else if !parsePlainPath(u, r.Path) {
		p, err := url.ParseRequestURI(r.Path)
		if err != nil {
			return err
		}
		*u = *p
	}
	// Field by field: req's other fields stay as they are (the context a
	// server set first, in req's own allocation).
	req.Method = r.Method
	req.URL = u
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/2.0", 2, 0
	req.Header = r.Header
	req.Host = r.Authority
	return nil
}

// parsePlainPath fills u as url.ParseRequestURI(p) would, for the common
// origin-form target whose path needs no unescaping or escaping and whose
// query is printable ASCII; false leaves other targets to
// url.ParseRequestURI (TestParsePlainPath compares the two).
func parsePlainPath(u *url.URL, p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	path, query, hasQuery := p, "", false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '?' {
			path, query, hasQuery = p[:i], p[i+1:], true
			break
		}
		if !plainPathByte(c) {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
	return true
}

// plainPathByte reports whether c stands for itself in a URL path: the
// characters url.URL.EscapedPath leaves as they are, '%' excepted.
func plainPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '~', '$', '&', '+', ',', '/', ':', ';', '=', '@':
		return true
	}
	return false
}

// addValue adds v under k, taking the first value's one-element slice
// from vals (one backing array for the whole header, as net/textproto
// does) and returning what is left of vals.
func addValue(h http.Header, vals []string, k, v string) []string {
	if old, ok := h[k]; ok {
		h[k] = append(old, v)
		return vals
	}
	return setFirst(h, vals, k, v)
}

// setFirst sets v as the first value of k, which h does not have yet, as
// addValue does.
func setFirst(h http.Header, vals []string, k, v string) []string {
	if len(vals) == cap(vals) {
		h[k] = []string{v}
		return vals
	}
	vals = append(vals, v)
	h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	return vals
}

// joinCookies returns the values of the cookie fields of fields, the
// first one first, joined with "; " (RFC 9113, Section 8.2.3) into the
// block: browsers send each cookie pair as a field of its own, so that
// HPACK indexes them one by one. The separators fit in the room
// sizeFields counted for the names of the fields after the first, which
// a common name does not take.
func joinCookies(blk *block, fields []hpack.Field) string {
	at := len(blk.b)
	for i := range fields {
		if fields[i].Name != "cookie" {
			continue
		}
		if len(blk.b) > at {
			blk.b = append(blk.b, "; "...)
		}
		blk.b = append(blk.b, fields[i].Value...)
	}
	if len(blk.b) == at {
		return ""
	}
	return unsafe.String(&blk.b[at], len(blk.b)-at)
}

// declareTrailers adds the names listed in a trailer field value.
func declareTrailers(t http.Header, v string) http.Header {
	for part := range strings.SplitSeq(v, ",") {
		part = httpsyntax.TrimOWS(part)
		if part == "" {
			continue
		}
		k := http.CanonicalHeaderKey(part)
		switch k {
		case "Transfer-Encoding", "Trailer", "Content-Length":
			continue // not allowed as trailers (RFC 9110, Section 6.5.1)
		}
		if t == nil {
			t = make(http.Header)
		}
		t[k] = nil
	}
	return t
}

// addContentLength takes one more content-length field value v into the
// length known so far (cur, -1 for none): the new length (-1 when v is not
// a number) and whether the message is malformed for it, v being invalid
// or different from an earlier one (RFC 9110, Section 8.6).
func addContentLength(cur int64, v string) (int64, bool) {
	n, ok := httpsyntax.ParseContentLength(v)
	if !ok {
		return -1, true
	}
	return n, cur >= 0 && n != cur
}

// block copies the strings of a header section into one allocation.
type block struct{ b []byte }

// newBlock sizes a block for fields (sizeFields).
func newBlock(fields []hpack.Field) block {
	_, n := sizeFields(fields)
	return block{b: make([]byte, 0, n)}
}

// str returns a copy of s in the block.
func (k *block) str(s string) string {
	if s == "" {
		return ""
	}
	at := len(k.b)
	k.b = append(k.b, s...)
	return unsafe.String(&k.b[at], len(s))
}

// name returns the canonical form of a lowercase name, in the block
// unless it is a common one. The block never grows past its capacity, so
// the strings already handed out stay valid.
func (k *block) name(lower string) string {
	if i, ok := lookupCommon(lower); ok {
		return commonNames[i]
	}
	return k.uncommonName(lower)
}

// uncommonName is name for a name known not to be a common one: its
// canonical form copied into the block.
func (k *block) uncommonName(lower string) string {
	if lower == "" {
		return ""
	}
	at := len(k.b)
	k.b = appendCanonical(k.b, lower)
	return unsafe.String(&k.b[at], len(k.b)-at)
}

// AppendRequest appends the fields of a request: the pseudo-header fields
// (:method, :scheme, :authority, :path; for CONNECT, :authority alone, or
// with req.Header[":protocol"] set, :protocol and all four, RFC 8441
// Section 4) then the regular ones from
// req.Header, lowercased, without connection-specific fields. host is the
// :authority value (req.Host or req.URL.Host, chosen by the caller);
// contentLength >= 0 adds a content-length field when req.Header has none.
// Cookie fields are split into one field per cookie pair (RFC 9113,
// Section 8.2.3) to let HPACK index them.
func AppendRequest(dst []hpack.Field, req *http.Request, host string, contentLength int64) []hpack.Field {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	dst = append(dst, hpack.Field{Name: ":method", Value: method})
	protocol := ""
	if method == http.MethodConnect {
		// RFC 8441, Section 4: an extended CONNECT names its protocol in
		// :protocol (given as the ":protocol" header, where servers show
		// it too) and has :scheme and :path like other requests.
		if v := req.Header[":protocol"]; len(v) > 0 {
			protocol = v[0]
			dst = append(dst, hpack.Field{Name: ":protocol", Value: protocol})
		}
	}
	if method != http.MethodConnect || protocol != "" {
		scheme := req.URL.Scheme
		if scheme == "" {
			scheme = "https"
		}
		path := req.URL.RequestURI()
		if req.URL.Opaque == "" && req.URL.RawPath == "" && req.URL.Path == "" && req.URL.RawQuery == "" {
			path = "/"
		}
		dst = append(dst, hpack.Field{Name: ":scheme", Value: scheme})
		dst = append(dst, hpack.Field{Name: ":authority", Value: host})
		dst = append(dst, hpack.Field{Name: ":path", Value: path})
	} else {
		dst = append(dst, hpack.Field{Name: ":authority", Value: host})
	}
	var named []string
	if c := req.Header["Connection"]; len(c) > 0 {
		named = connectionTokens(c)
	}
	for k, vv := range req.Header {
		lk := LowerName(k)
		switch {
		case lk == "host", lk == "content-length" && contentLength >= 0:
			continue
		case lk == "cookie":
			for _, v := range vv {
				for part := range strings.SplitSeq(v, ";") {
					if part = httpsyntax.TrimOWS(part); part != "" && httpsyntax.ValidFieldValue(part) {
						dst = append(dst, hpack.Field{Name: "cookie", Value: part})
					}
				}
			}
			continue
		case lk == "te":
			// RFC 9113, Section 8.2.2: only "trailers" is allowed.
			for _, v := range vv {
				if strings.Contains(strings.ToLower(v), "trailers") {
					dst = append(dst, hpack.Field{Name: "te", Value: "trailers"})
					break
				}
			}
			continue
		}
		dst = appendRegular(dst, lk, vv, named)
	}
	if contentLength >= 0 {
		dst = append(dst, hpack.Field{Name: "content-length", Value: strconv.FormatInt(contentLength, 10)})
	}
	return dst
}

// appendRegular appends one header's values unless the name is connection-
// specific, named by Connection, or not a valid field.
func appendRegular(dst []hpack.Field, lower string, vv []string, named []string) []hpack.Field {
	if connectionSpecific(lower) || lower == "" || lower[0] == ':' || !httpsyntax.ValidFieldName(lower) {
		return dst
	}
	for _, n := range named {
		if n == lower {
			return dst
		}
	}
	return appendValues(dst, lower, vv)
}

// appendValues appends a field of the name lower for each value of vv,
// trimmed, that is valid; the name is the caller's to check.
func appendValues(dst []hpack.Field, lower string, vv []string) []hpack.Field {
	for _, v := range vv {
		v = httpsyntax.TrimOWS(v)
		if httpsyntax.ValidFieldValue(v) {
			dst = append(dst, hpack.Field{Name: lower, Value: v})
		}
	}
	return dst
}

// connectionTokens returns the lowercase names a Connection field lists:
// they are connection-specific too (RFC 9110, Section 7.6.1).
func connectionTokens(vv []string) []string {
	var out []string
	for _, v := range vv {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.ToLower(httpsyntax.TrimOWS(t)); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}
