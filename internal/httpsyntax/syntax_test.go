package httpsyntax

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	for v, want := range map[string]int{
		"200": 200, "100": 100, "999": 999, "404": 404,
		"099": 0, "000": 0, "20": 0, "2000": 0, "": 0, "20a": 0, "+20": 0, " 200": 0,
	} {
		if got := ParseStatus(v); got != want {
			t.Errorf("ParseStatus(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestParseContentLength(t *testing.T) {
	for _, tc := range []struct {
		v  string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"13", 13, true}, {"007", 7, true},
		{"999999999999999999", 999999999999999999, true},
		{"1000000000000000000", 0, false}, // 19 digits
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {" 1", 0, false},
		{"1,1", 0, false}, {"0x10", 0, false},
	} {
		n, ok := ParseContentLength(tc.v)
		if n != tc.n || ok != tc.ok {
			t.Errorf("ParseContentLength(%q) = %d, %v; want %d, %v", tc.v, n, ok, tc.n, tc.ok)
		}
	}
}

// FuzzParseContentLength compares with strconv: the same numbers are
// accepted, and nothing strconv would read with a sign or in another base.
func FuzzParseContentLength(f *testing.F) {
	for _, s := range []string{"0", "12", "-1", "+5", "18446744073709551616", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, ok := ParseContentLength(v)
		digits := v != "" && strings.Trim(v, "0123456789") == ""
		want, err := strconv.ParseInt(v, 10, 64)
		wantOK := digits && err == nil && len(v) <= 18
		if ok != wantOK || (ok && n != want) {
			t.Fatalf("ParseContentLength(%q) = %d, %v; strconv says %d, %v", v, n, ok, want, err)
		}
	})
}

func TestFieldNames(t *testing.T) {
	const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for b := 0; b < 256; b++ {
		if got, want := IsTokenByte(byte(b)), strings.IndexByte(tchars, byte(b)) >= 0; got != want {
			t.Errorf("IsTokenByte(%q) = %v, want %v", byte(b), got, want)
		}
	}
	for name, want := range map[string]string{
		"content-type": "",
		"x-a_b.c~":     "",
		"":             "empty header field name",
		"Content-Type": "uppercase header field name",
		"a b":          "invalid character in header field name",
		"a:b":          "invalid character in header field name",
		"é":            "invalid character in header field name",
	} {
		if got := FieldNameProblem(name); got != want {
			t.Errorf("FieldNameProblem(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]bool{"Content-Type": true, "x": true, "": false, "a b": false, "a\x00": false} {
		if got := ValidFieldName(name); got != want {
			t.Errorf("ValidFieldName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFieldValues(t *testing.T) {
	for v, want := range map[string]bool{"": true, "a b": true, "\t x": true, "\x7f\xff": true, "a\x00": false, "a\rb": false, "a\n": false} {
		if got := ValidFieldValue(v); got != want {
			t.Errorf("ValidFieldValue(%q) = %v, want %v", v, got, want)
		}
	}
	// Long values take the other path: each forbidden byte at each end
	// and in the middle.
	long := strings.Repeat("v", 2*longValue+1)
	for _, b := range []byte{0, '\r', '\n'} {
		for _, at := range []int{0, longValue, len(long) - 1} {
			v := long[:at] + string(b) + long[at+1:]
			if ValidFieldValue(v) {
				t.Errorf("ValidFieldValue accepts %q at %d of %d bytes", b, at, len(v))
			}
		}
	}
	if !ValidFieldValue(long + "\x7f\t ") {
		t.Errorf("ValidFieldValue refuses a long valid value")
	}
	for v, want := range map[string]bool{"": false, "a": false, "a b": false, " a": true, "a\t": true, "\t": true} {
		if got := HasOuterOWS(v); got != want {
			t.Errorf("HasOuterOWS(%q) = %v, want %v", v, got, want)
		}
	}
	for v, want := range map[string]string{"": "", " \t a b \t": "a b", "x": "x", "  ": ""} {
		if got := TrimOWS(v); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestFieldValueEveryByte checks ValidFieldValue against its definition
// (no NUL, CR or LF) for every byte value at every position of values of
// every length up to past longValue, so both the word-at-a-time scan and
// its byte-by-byte tail are covered, with the byte alone and next to
// neighbours that are 0x80, 0xff or 0x01 (which a word-wise zero test
// must not confuse with a match).
func TestFieldValueEveryByte(t *testing.T) {
	for n := 1; n <= longValue+9; n++ {
		for _, fill := range []byte{'v', 0x80, 0xff, 0x01} {
			base := bytes.Repeat([]byte{fill}, n)
			for at := 0; at < n; at++ {
				for c := 0; c < 256; c++ {
					v := bytes.Clone(base)
					v[at] = byte(c)
					want := bytes.IndexByte(v, 0) < 0 && bytes.IndexByte(v, '\r') < 0 && bytes.IndexByte(v, '\n') < 0
					if got := ValidFieldValue(string(v)); got != want {
						t.Fatalf("ValidFieldValue(%q) = %v, want %v", v, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkValidFieldValue: a response's short values; a browser's
// user-agent and a 500-byte cookie.
func BenchmarkValidFieldValue(b *testing.B) {
	b.Run("short", func(b *testing.B) {
		vals := []string{"Sun, 06 Dec 2026 09:20:12 GMT", `"d-18ee9fa065743433"`, "text/html; charset=utf-8", "bytes", "13"}
		for b.Loop() {
			for _, v := range vals {
				if !ValidFieldValue(v) {
					b.Fatal("invalid")
				}
			}
		}
	})
	b.Run("long", func(b *testing.B) {
		ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
		cookie := "session=" + strings.Repeat("c", 480) + "; theme=dark"
		for b.Loop() {
			if !ValidFieldValue(ua) || !ValidFieldValue(cookie) {
				b.Fatal("invalid")
			}
		}
	})
}
