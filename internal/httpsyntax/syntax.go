// Package httpsyntax holds the HTTP syntax rules that every layer of h2kit
// checks or parses: status codes, content-length, field-name tokens and
// field values (RFC 9110, RFC 9113 Section 8.2.1). It imports only the
// standard library and no net/http, so that the engine, internal/httpcommon,
// the adapters and the tools can all use the one copy.
package httpsyntax

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// ParseStatus returns the status code in a :status value, or 0 when the
// value is not three digits or is below 100 (RFC 9110, Section 15).
func ParseStatus(v string) int {
	if len(v) != 3 {
		return 0
	}
	n := 0
	for i := 0; i < 3; i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0
		}
		n = n*10 + int(v[i]-'0')
	}
	if n < 100 {
		return 0
	}
	return n
}

// ParseContentLength parses a content-length value: one or more digits,
// nothing else (no sign, no spaces, no list), at most 18 of them so that
// the result fits an int64 (RFC 9110, Section 8.6).
func ParseContentLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// tchar marks the bytes of a token (RFC 9110, Section 5.6.2), upper and
// lower case letters alike.
var tchar = func() (t [256]bool) {
	for _, b := range []byte("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t[b] = true
	}
	return t
}()

// IsTokenByte reports whether b may appear in a token, such as a field
// name (RFC 9110, Section 5.6.2).
func IsTokenByte(b byte) bool { return tchar[b] }

// ValidFieldName reports whether name is a non-empty token. HTTP/2 further
// requires it to be lowercase (RFC 9113, Section 8.2.1); see
// ValidLowerFieldName.
func ValidFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !tchar[name[i]] {
			return false
		}
	}
	return true
}

// FieldNameProblem says what is wrong with name as an HTTP/2 field name
// (RFC 9113, Section 8.2.1: a lowercase token), or "" when nothing is.
func FieldNameProblem(name string) string {
	if name == "" {
		return "empty header field name"
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; !lowerTchar[b] {
			if 'A' <= b && b <= 'Z' {
				return "uppercase header field name"
			}
			return "invalid character in header field name"
		}
	}
	return ""
}

// lowerTchar is tchar without the uppercase letters: the bytes of an
// HTTP/2 field name, one table lookup a byte.
var lowerTchar = func() (t [256]bool) {
	t = tchar
	for b := 'A'; b <= 'Z'; b++ {
		t[b] = false
	}
	return t
}()

// ValidFieldValue reports whether v holds no NUL, CR or LF, the characters
// RFC 9113, Section 8.2.1 forbids in any field value.
func ValidFieldValue(v string) bool {
	if len(v) >= longValue {
		// strings.IndexByte scans with vector instructions: three passes
		// over a long value (a cookie, a user-agent) cost less than one
		// by words.
		return strings.IndexByte(v, 0) < 0 && strings.IndexByte(v, '\r') < 0 && strings.IndexByte(v, '\n') < 0
	}
	// Eight bytes at a time: a word has a zero byte exactly when
	// (w-ones)&^w has a high bit set, and w^(ones*c) has one where w
	// holds c. Response values (dates, ETags, types) are mostly this
	// short, and a byte-by-byte loop over them cost a few percent of a
	// small response.
	if len(v) < 8 {
		for i := 0; i < len(v); i++ {
			if b := v[i]; b == 0 || b == '\r' || b == '\n' {
				return false
			}
		}
		return true
	}
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	for i := 0; i+8 <= len(b); i += 8 {
		if forbiddenIn(binary.LittleEndian.Uint64(b[i:])) {
			return false
		}
	}
	// The last bytes as the word that ends the value, overlapping the
	// last one checked.
	return len(b)%8 == 0 || !forbiddenIn(binary.LittleEndian.Uint64(b[len(b)-8:]))
}

// forbiddenIn reports whether the eight bytes of w hold a NUL, CR or LF.
func forbiddenIn(w uint64) bool {
	cr, lf := w^(ones*'\r'), w^(ones*'\n')
	return ((w-ones)&^w|(cr-ones)&^cr|(lf-ones)&^lf)&highs != 0
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// longValue is the length from which ValidFieldValue scans with
// strings.IndexByte.
const longValue = 48

// IsOWS reports whether b is optional whitespace: a space or a tab
// (RFC 9110, Section 5.6.3).
func IsOWS(b byte) bool { return b == ' ' || b == '\t' }

// HasOuterOWS reports whether v starts or ends with whitespace, which
// RFC 9113, Section 8.2.1 forbids around a field value.
func HasOuterOWS(v string) bool {
	n := len(v)
	return n > 0 && (IsOWS(v[0]) || IsOWS(v[n-1]))
}

// TrimOWS removes leading and trailing spaces and tabs.
func TrimOWS(v string) string {
	for len(v) > 0 && IsOWS(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && IsOWS(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}
