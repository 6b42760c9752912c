// Package httpcommon maps HTTP/2 header fields (hpack.Field) to and from the
// net/http types (http.Request, http.Response, http.Header), for h2server
// and h2client.
//
// It does the conversions only: lowercasing names on output, dropping
// connection-specific fields, joining cookie fields (RFC 9113, Section
// 8.2.3), splitting the Trailer declaration, content-length. The protocol
// rules that make a message malformed (RFC 9113, Section 8) are checked by
// the engine, in the root package, before fields reach this package.
package httpcommon

import (
	"net/http"
	"strings"

	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// commonNames are header names seen often enough to map between their
// canonical (net/http) and lowercase (HTTP/2) forms without allocating.
var commonNames = []string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
	"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
	"Access-Control-Expose-Headers", "Access-Control-Max-Age",
	"Access-Control-Request-Headers", "Access-Control-Request-Method",
	"Age", "Allow", "Alt-Svc", "Authorization", "Cache-Control", "Connection",
	"Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
	"Content-Location", "Content-Range", "Content-Security-Policy", "Content-Type",
	"Cookie", "Date", "Dnt", "Early-Data", "Etag", "Expect", "Expires", "Forwarded", "From",
	"Grpc-Encoding", "Grpc-Accept-Encoding", "Grpc-Message", "Grpc-Status", "Grpc-Timeout",
	"Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
	"If-Unmodified-Since", "Keep-Alive", "Last-Modified", "Link", "Location",
	"Max-Forwards", "Origin", "Pragma", "Priority", "Proxy-Authenticate",
	"Proxy-Authorization", "Proxy-Connection", "Range", "Referer", "Refresh",
	"Retry-After", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
	"Server", "Set-Cookie", "Strict-Transport-Security", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent", "Vary",
	"Via", "Www-Authenticate", "X-Content-Type-Options", "X-Forwarded-For",
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Frame-Options", "X-Powered-By",
	"X-Request-Id", "X-Requested-With", "X-Xss-Protection",
}

// lowerOf maps the canonical common names to their lowercase forms.
var lowerOf = make(map[string]string, len(commonNames))

// commonSlots finds a lowercase name's index in commonNames without a
// map (lookupCommon): an open-addressed table, linear probing from the
// slot of commonHash, each slot 1 + an index in commonNames, 0 when
// empty. The hash reads the length and three bytes only, where a map
// hashes the whole name; with the table under a quarter full a lookup
// reads one or two slots and compares one string.
var commonSlots [512]uint8

// commonLower holds the lowercase forms of commonNames, by index.
var commonLower [maxCommon]string

// commonHash mixes a non-empty name's length and its first, middle and
// last bytes into a slot of commonSlots.
func commonHash(l string) uint32 {
	n := len(l)
	k := uint32(n) | uint32(l[0])<<8 | uint32(l[n/2])<<16 | uint32(l[n-1])<<24
	return (k * 0x9e3779b1) >> (32 - 9)
}

// lookupCommon returns the index in commonNames of a lowercase name, and
// whether it is one of them.
func lookupCommon(lower string) (uint8, bool) {
	if lower == "" {
		return 0, false
	}
	for h := commonHash(lower); ; h++ {
		e := commonSlots[h%uint32(len(commonSlots))]
		if e == 0 {
			return 0, false
		}
		if commonLower[e-1] == lower {
			return e - 1, true
		}
	}
}

// commonSet is a set of commonNames' indexes: DecodeRequest knows from it
// whether a common name was seen already without a lookup in the header.
type commonSet [(maxCommon + 63) / 64]uint64

// maxCommon bounds len(commonNames) (commonSet's size).
const maxCommon = 128

// add adds i and reports whether it was there already.
func (s *commonSet) add(i uint8) bool {
	w, b := i/64, uint64(1)<<(i%64)
	had := s[w]&b != 0
	s[w] |= b
	return had
}

func init() {
	if len(commonNames) > maxCommon {
		panic("httpcommon: more than maxCommon common names")
	}
	for i, c := range commonNames {
		l := strings.ToLower(c)
		lowerOf[c] = l
		commonLower[i] = l
		h := commonHash(l)
		for commonSlots[h%uint32(len(commonSlots))] != 0 {
			h++
		}
		commonSlots[h%uint32(len(commonSlots))] = uint8(i + 1)
	}
}

// LowerName returns the HTTP/2 form of a header name: lowercase (RFC 9113,
// Section 8.2.1). Common names cost no allocation.
func LowerName(name string) string {
	if l, ok := lowerOf[name]; ok {
		return l
	}
	return strings.ToLower(name) // returns name itself when already lowercase
}

// CanonicalName returns the net/http form of a lowercase header name
// (http.CanonicalHeaderKey). Common names cost no allocation.
func CanonicalName(name string) string {
	if i, ok := lookupCommon(name); ok {
		return commonNames[i]
	}
	return http.CanonicalHeaderKey(name)
}

// appendCanonical appends the canonical form of name to b: as
// http.CanonicalHeaderKey does, the first letter and each letter after a
// hyphen upper case, the others lower case; a name with a byte that is not
// a token character is kept as it is.
func appendCanonical(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if !httpsyntax.IsTokenByte(name[i]) {
			return append(b, name...)
		}
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
		upper = c == '-'
	}
	return b
}

// connectionSpecific reports whether a lowercase name is a connection-
// specific field that HTTP/2 does not carry (RFC 9113, Section 8.2.2).
func connectionSpecific(lower string) bool {
	switch lower {
	case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// statusText holds "100".."599" so :status needs no allocation.
var statusText = func() (t [600]string) {
	for i := 100; i < 600; i++ {
		t[i] = string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
	}
	return t
}()

// StatusString returns the :status value of code (three digits).
func StatusString(code int) string {
	if code >= 100 && code < 600 {
		return statusText[code]
	}
	return "500"
}
