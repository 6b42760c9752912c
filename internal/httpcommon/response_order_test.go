package httpcommon

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// serveHeader is the header map of `h2kit serve`'s answer to a GET of a
// small cached file.
func serveHeader() http.Header {
	return http.Header{
		"Server":        {"h2kit"},
		"Etag":          {`"18a5f2c3e4b0d-d"`},
		"Last-Modified": {"Sun, 06 Dec 2026 09:00:00 GMT"},
		"Content-Type":  {"text/html; charset=utf-8"},
		"Accept-Ranges": {"bytes"},
	}
}

// TestAppendResponseOrder checks that AppendResponse gives the same
// section for the same header whatever order the map iterates in (Go
// randomizes it on every range), with the same fields as the map holds,
// the values of a name in their order.
func TestAppendResponseOrder(t *testing.T) {
	h := serveHeader()
	h["X-Multi"] = []string{"3", "1", "2"}
	h["Connection"] = []string{"X-Hop"}
	h["X-Hop"] = []string{"hop"}
	h["X-"+string(rune('a'))] = []string{"short"}
	first := AppendResponse(nil, 200, h)
	want := fields(":status", "200",
		"x-a", "short",
		"etag", `"18a5f2c3e4b0d-d"`,
		"server", "h2kit",
		"x-multi", "3", "x-multi", "1", "x-multi", "2",
		"content-type", "text/html; charset=utf-8",
		"accept-ranges", "bytes",
		"last-modified", "Sun, 06 Dec 2026 09:00:00 GMT",
	)
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("got  %v\nwant %v", first, want)
	}
	for range 50 {
		if got := AppendResponse(nil, 200, h); !reflect.DeepEqual(got, first) {
			t.Fatalf("another order:\n%v\n%v", got, first)
		}
	}
	// A header longer than the insertion sort's bound takes the other
	// sort: the same order.
	big := http.Header{}
	for _, k := range []string{"X-Zz", "X-B", "Ab", "A", "Cc-Dd", "X-Aa", "B", "Server", "Date", "Etag",
		"Vary", "Age", "Link", "Via", "Warning", "Expires", "Pragma", "Refresh"} {
		big[k] = []string{k + "2", k + "1"}
	}
	a := AppendResponse(nil, 200, big)
	for i := 2; i < len(a); i++ {
		p, f := a[i-1].Name, a[i].Name
		if len(p) > len(f) || len(p) == len(f) && p > f {
			t.Fatalf("out of order at %d: %v", i, a)
		}
		if p == f && a[i-1].Value < a[i].Value {
			t.Fatalf("values of %s reordered: %v", p, a)
		}
	}
	if len(a) != 1+2*len(big) {
		t.Fatalf("%d fields, want %d", len(a), 1+2*len(big))
	}
	for range 20 {
		if got := AppendResponse(nil, 200, big); !reflect.DeepEqual(got, a) {
			t.Fatalf("another order:\n%v\n%v", got, a)
		}
	}
}

// BenchmarkAppendResponseEncode is AppendResponse and the HPACK encoding
// of serve's header, the encoder's table warm, as a server connection
// answers request after request.
func BenchmarkAppendResponseEncode(b *testing.B) {
	h := serveHeader()
	enc := hpack.NewEncoder()
	var fs []hpack.Field
	var out []byte
	for b.Loop() {
		fs = AppendResponse(fs[:0], 200, h)
		out = enc.Encode(out[:0], fs)
	}
}

// appendResponseRef is AppendResponse as the definition says it, plainly:
// the fields in map order, each name lowercased and checked, then sorted.
func appendResponseRef(status int, h http.Header) []hpack.Field {
	dst := []hpack.Field{{Name: ":status", Value: StatusString(status)}}
	var named []string
	for _, v := range h["Connection"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToLower(strings.Trim(t, " \t")); t != "" {
				named = append(named, t)
			}
		}
	}
	for k, vv := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(k, http.TrailerPrefix) || lk == "te" || slices.Contains(named, lk) ||
			!httpsyntax.ValidFieldName(lk) {
			continue
		}
		switch lk {
		case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
			continue
		}
		for _, v := range vv {
			if v = strings.Trim(v, " \t"); httpsyntax.ValidFieldValue(v) {
				dst = append(dst, hpack.Field{Name: lk, Value: v})
			}
		}
	}
	sortFieldsByName(dst[1:])
	return dst
}

// TestAppendResponseAsDefined compares AppendResponse with
// appendResponseRef on headers with common and other names, canonical
// or not, connection-specific fields, fields that Connection names
// (common ones too), trailers and invalid names and values.
func TestAppendResponseAsDefined(t *testing.T) {
	for i, h := range []http.Header{
		serveHeader(),
		{},
		{"Connection": {"close"}},
		{"Connection": {"Server, x-hop", " Etag "}, "Server": {"s"}, "X-Hop": {"1"}, "Etag": {"e"}, "Date": {"d"}},
		{"connection": {"Server"}, "Server": {"s"}, "TE": {"trailers"}, "te": {"x"}, "Te": {"y"},
			"UPGRADE": {"h2c"}, "Keep-Alive": {"1"}, "Proxy-Connection": {"x"}, "Transfer-Encoding": {"chunked"}},
		{"Bad Name": {"x"}, ":Status": {"1"}, "": {"e"}, "X-Ok": {"", " a ", "b\x00", "c\r\n", "d"},
			http.TrailerPrefix + "T": {"1"}, "Trailer": {"T"}, "Set-Cookie": {"a=1", "b=2", "c=3"}},
		{"X-Ünïcode": {"v"}, "x-lower": {"v"}, "X-Lower": {"w"}, "Content-Type": {"text/plain", "text/html"}},
	} {
		want := appendResponseRef(200, h)
		for range 10 {
			if got := AppendResponse(nil, 200, h); !reflect.DeepEqual(sorted(got), sorted(want)) {
				t.Fatalf("header %d: got\n%v\nwant\n%v", i, got, want)
			}
		}
		// What the caller had in dst stays.
		pre := fields("keep", "me")
		if got := AppendResponse(pre, 204, h); got[0] != pre[0] || got[1].Name != ":status" || len(got) != len(want)+1 {
			t.Fatalf("header %d: with a prefix: %v", i, got)
		}
	}
}

// TestLowerCommon checks lowerCommon against lowerOf (LowerName's map):
// every common name found with its lowercase form, no other name found,
// whether lowercase, another case or unknown.
func TestLowerCommon(t *testing.T) {
	for _, c := range commonNames {
		if l, ok := lowerCommon(c); !ok || l != lowerOf[c] {
			t.Errorf("lowerCommon(%q) = %q, %v; want %q", c, l, ok, lowerOf[c])
		}
		for _, other := range []string{strings.ToLower(c), strings.ToUpper(c), c + "x", c[1:]} {
			if _, ok := lowerOf[other]; ok {
				continue
			}
			if l, ok := lowerCommon(other); ok {
				t.Errorf("lowerCommon(%q) = %q, true", other, l)
			}
		}
	}
	for _, k := range []string{"", "X", "X-Custom", "Trailer:X-Sum", "Content-Typ"} {
		if l, ok := lowerCommon(k); ok {
			t.Errorf("lowerCommon(%q) = %q, true", k, l)
		}
	}
}
