package httpcommon

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/hpack"
)

// TestResponseMemoSameAsAppendResponse runs a sequence of header maps,
// each a small change to the one before (or an unrelated one), through
// one memo: every section must be the one AppendResponse makes of that
// map, whether the memo hit or not, and Trailer and ContentLength must
// give that map's values.
func TestResponseMemoSameAsAppendResponse(t *testing.T) {
	base := func() http.Header {
		return http.Header{
			"Server": {"h2kit"}, "Etag": {`"abc"`}, "Content-Type": {"text/html"},
			"Accept-Ranges": {"bytes"}, "Last-Modified": {"Sun, 06 Dec 2026 11:00:00 GMT"},
		}
	}
	shared := base() // reused as is: the memo's fast case
	type step struct {
		name string
		h    http.Header
	}
	inPlace := base()
	// withTrailers declares trailers; made twice, its second map is
	// equal to the first (a memo hit).
	withTrailers := func() http.Header {
		h := base()
		h["Trailer"] = []string{"X-Sum, X-Other"}
		h[http.TrailerPrefix+"X-Late"] = []string{"1"}
		h["Content-Length"] = []string{"42"}
		return h
	}
	steps := []step{
		{"first", shared},
		{"same map again", shared},
		{"equal map, other strings", base()},
		{"one value changed", func() http.Header { h := base(); h["Etag"] = []string{`"abd"`}; return h }()},
		{"back to the first", shared},
		{"field added", func() http.Header { h := base(); h["X-Extra"] = []string{"1"}; return h }()},
		{"field removed", func() http.Header { h := base(); delete(h, "Accept-Ranges"); return h }()},
		{"field renamed, same count", func() http.Header {
			h := base()
			delete(h, "Accept-Ranges")
			h["Accept-Rangez"] = []string{"bytes"}
			return h
		}()},
		{"value added", func() http.Header { h := base(); h["Etag"] = append(h["Etag"], `"2"`); return h }()},
		{"value with spaces", func() http.Header { h := base(); h["Etag"] = []string{` "abc" `}; return h }()},
		{"in place, before", inPlace},
		{"in place, after", func() http.Header { inPlace["Server"][0] = "other"; return inPlace }()},
		{"nil value slice", func() http.Header { h := base(); h["X-Nil"] = nil; return h }()},
		{"other nil key", func() http.Header { h := base(); h["X-Nol"] = nil; return h }()},
		{"connection-specific", func() http.Header {
			h := base()
			h["Connection"] = []string{"X-Hop, close"}
			h["X-Hop"] = []string{"1"}
			h["Keep-Alive"] = []string{"timeout=5"}
			h["Transfer-Encoding"] = []string{"chunked"}
			h["Te"] = []string{"trailers"}
			h["Upgrade"] = []string{"websocket"}
			return h
		}()},
		{"connection header gone", func() http.Header { h := base(); h["X-Hop"] = []string{"1"}; return h }()},
		{"trailer names", withTrailers()},
		{"trailer names again", withTrailers()},
		{"invalid name and value", func() http.Header {
			h := base()
			h["Bad Name"] = []string{"x"}
			h["X-Bad"] = []string{"a\nb"}
			h["X-Pseudo"] = []string{"ok"}
			h[":status"] = []string{"999"}
			return h
		}()},
		{"lowercase key", func() http.Header { h := base(); h["x-lower"] = []string{"v"}; return h }()},
		{"empty", http.Header{}},
		{"empty again", http.Header{}},
		{"nil", nil},
		{"first again", shared},
	}
	var m ResponseMemo
	for i, s := range steps {
		status := 200 + i%3
		want := AppendResponse(nil, status, s.h)
		got := m.AppendResponse(make([]hpack.Field, 0, 1), status, s.h)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: memo gave\n%v\nAppendResponse\n%v", s.name, got, want)
		}
		if tr, cl := m.Trailer(), m.ContentLength(); !slices.Equal(tr, s.h["Trailer"]) || !slices.Equal(cl, s.h["Content-Length"]) {
			t.Fatalf("%s: Trailer %q, ContentLength %q; map has %q, %q", s.name, tr, cl, s.h["Trailer"], s.h["Content-Length"])
		}
	}
}

// TestResponseMemoNoLeak: a response never gets a field of the response
// before, whose map the memo remembers, nor loses one of its own, even
// when the two maps have the same number of keys and values.
func TestResponseMemoNoLeak(t *testing.T) {
	var m ResponseMemo
	secret := http.Header{"X-Secret": {"s3cr3t"}, "Server": {"a"}}
	m.AppendResponse(nil, 200, secret)
	other := http.Header{"X-Public": {"p"}, "Server": {"a"}}
	got := m.AppendResponse(nil, 200, other)
	for _, f := range got {
		if strings.Contains(f.Name, "secret") || strings.Contains(f.Value, "s3cr3t") {
			t.Fatalf("the section of a map without X-Secret has it: %v", got)
		}
	}
	if !slices.Contains(got, hpack.Field{Name: "x-public", Value: "p"}) {
		t.Fatalf("x-public missing: %v", got)
	}
}

// TestResponseMemoBig: a map too big to remember gets its section all the
// same, and the memo matches nothing after it.
func TestResponseMemoBig(t *testing.T) {
	big := http.Header{"Content-Length": {"7"}}
	for i := range memoMaxFields + 3 {
		big["X-F"+strconv.Itoa(i)] = []string{strconv.Itoa(i)}
	}
	var m ResponseMemo
	for range 2 {
		got := m.AppendResponse(nil, 200, big)
		if want := AppendResponse(nil, 200, big); !slices.Equal(got, want) {
			t.Fatalf("memo gave %v, want %v", got, want)
		}
		if m.valid {
			t.Fatal("the memo holds a map bigger than memoMaxFields")
		}
		if cl := m.ContentLength(); !slices.Equal(cl, []string{"7"}) {
			t.Fatalf("ContentLength %q", cl)
		}
	}
	if got := m.AppendResponse(nil, 200, http.Header{}); !slices.Equal(got, AppendResponse(nil, 200, http.Header{})) {
		t.Fatal(got)
	}
}

// TestResponseMemoHitCost: a map equal to the remembered one takes the
// memo's section without allocating.
func TestResponseMemoHitCost(t *testing.T) {
	h := http.Header{"Server": {"h2kit"}, "Etag": {`"abc"`}, "Content-Type": {"text/html"}}
	var m ResponseMemo
	dst := m.AppendResponse(nil, 200, h)
	if n := testing.AllocsPerRun(100, func() { dst = m.AppendResponse(dst[:0], 200, h) }); n != 0 {
		t.Fatalf("%v allocations per hit", n)
	}
}
