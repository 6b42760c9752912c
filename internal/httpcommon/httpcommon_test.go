package httpcommon

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
)

func fields(kv ...string) []hpack.Field {
	var fs []hpack.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, hpack.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		in   []hpack.Field
		want Request
		err  error
	}{
		{
			name: "basic",
			in:   fields(":method", "GET", ":scheme", "https", ":authority", "a.example", ":path", "/p?q", "accept", "*/*", "x-custom-thing", "v"),
			want: Request{Method: "GET", Scheme: "https", Authority: "a.example", Path: "/p?q", ContentLength: -1,
				Header: http.Header{"Accept": {"*/*"}, "X-Custom-Thing": {"v"}}},
		},
		{
			name: "cookies joined (RFC 9113, Section 8.2.3)",
			in:   fields(":method", "GET", ":path", "/", "cookie", "a=1", "x", "y", "cookie", "b=2", "cookie", "c=3"),
			want: Request{Method: "GET", Path: "/", ContentLength: -1,
				Header: http.Header{"Cookie": {"a=1; b=2; c=3"}, "X": {"y"}}},
		},
		{
			name: "host when no :authority; repeated fields",
			in:   fields(":method", "POST", ":path", "/", "host", "h.example", "content-length", "12", "via", "1", "via", "2"),
			want: Request{Method: "POST", Path: "/", Authority: "h.example", ContentLength: 12,
				Header: http.Header{"Content-Length": {"12"}, "Via": {"1", "2"}}},
		},
		{
			name: "trailer declaration",
			in:   fields(":method", "POST", ":path", "/", "trailer", "x-sum, grpc-status ,content-length"),
			want: Request{Method: "POST", Path: "/", ContentLength: -1, Header: http.Header{},
				Trailer: http.Header{"X-Sum": nil, "Grpc-Status": nil}},
		},
		{
			name: "bad content-length",
			in:   fields(":method", "POST", ":path", "/", "content-length", "1x"),
			err:  ErrBadContentLength,
		},
		{
			name: "extended CONNECT",
			in:   fields(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", ":authority", "a"),
			want: Request{Method: "CONNECT", Protocol: "websocket", Scheme: "https", Path: "/chat", Authority: "a",
				ContentLength: -1, Header: http.Header{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequest(tt.in)
			if err != tt.err {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeRequestCopies(t *testing.T) {
	name := []byte("x-owned")
	value := []byte("value")
	in := []hpack.Field{{Name: ":method", Value: "GET"}, {Name: string(name), Value: string(value)}}
	r, _ := DecodeRequest(in)
	// The engine reuses the memory of fields; the result must not alias it.
	in[1] = hpack.Field{Name: "zzzzzzz", Value: "zzzzz"}
	if r.Header.Get("X-Owned") != "value" {
		t.Fatalf("%v", r.Header)
	}
}

func sorted(fs []hpack.Field) []hpack.Field {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b hpack.Field) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return fs
}

func TestAppendResponse(t *testing.T) {
	h := http.Header{
		"Content-Type":           {"text/plain"},
		"X-Multi":                {"a", " b "},
		"Connection":             {"close, X-Hop"},
		"X-Hop":                  {"hop"},
		"Keep-Alive":             {"timeout=5"},
		"Transfer-Encoding":      {"chunked"},
		"Upgrade":                {"h2c"},
		"Te":                     {"trailers"},
		"Bad":                    {"a\r\nb"},
		"Bad Name":               {"x"},
		http.TrailerPrefix + "T": {"later"},
		"Trailer":                {"X-Sum"},
	}
	got := AppendResponse(nil, 404, h)
	if got[0] != (hpack.Field{Name: ":status", Value: "404"}) {
		t.Fatalf("first field %v", got[0])
	}
	want := fields("content-type", "text/plain", "trailer", "X-Sum", "x-multi", "a", "x-multi", "b")
	if g := sorted(got[1:]); !reflect.DeepEqual(g, sorted(want)) {
		t.Fatalf("got  %v\nwant %v", g, sorted(want))
	}
}

func TestAppendTrailers(t *testing.T) {
	h := http.Header{
		"X-Sum":                          {"abc"},
		"Grpc-Status":                    {"0"},
		"Content-Length":                 {"3"},
		"Not-Declared":                   {"x"},
		http.TrailerPrefix + "Late-Name": {"v"},
	}
	got := AppendTrailers(nil, h, []string{"X-Sum", "Grpc-Status", "Content-Length", "Missing"})
	want := fields("grpc-status", "0", "late-name", "v", "x-sum", "abc")
	if g := sorted(got); !reflect.DeepEqual(g, want) {
		t.Fatalf("got %v want %v", g, want)
	}
}

func TestAppendRequest(t *testing.T) {
	u, _ := url.Parse("https://a.example/p?q=1")
	req := &http.Request{Method: "POST", URL: u, Header: http.Header{
		"Cookie":     {"a=1; b=2"},
		"Te":         {"gzip, trailers"},
		"Connection": {"keep-alive"},
		"Host":       {"ignored"},
		"User-Agent": {"t"},
	}}
	got := AppendRequest(nil, req, "a.example", 5)
	wantPseudo := fields(":method", "POST", ":scheme", "https", ":authority", "a.example", ":path", "/p?q=1")
	if !reflect.DeepEqual(got[:4], wantPseudo) {
		t.Fatalf("pseudo %v", got[:4])
	}
	want := fields("content-length", "5", "cookie", "a=1", "cookie", "b=2", "te", "trailers", "user-agent", "t")
	if g := sorted(got[4:]); !reflect.DeepEqual(g, want) {
		t.Fatalf("got %v want %v", g, want)
	}
}

func TestDecodeResponse(t *testing.T) {
	r, err := DecodeResponse(fields(":status", "206", "content-length", "7", "trailer", "x-t", "etag", `"e"`))
	if err != nil || r.Status != 206 || r.ContentLength != 7 || r.Header.Get("Etag") != `"e"` ||
		!reflect.DeepEqual(r.Trailer, http.Header{"X-T": nil}) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := DecodeResponse(fields(":status", "2x0")); err != ErrBadStatus {
		t.Fatalf("err %v", err)
	}
	tr := http.Header{}
	DecodeTrailers(tr, fields("grpc-status", "0", "x-weird_name", "1"))
	if !reflect.DeepEqual(tr, http.Header{"Grpc-Status": {"0"}, "X-Weird_name": {"1"}}) {
		t.Fatalf("%v", tr)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ in, lower, canon string }{
		{"Content-Type", "content-type", "Content-Type"},
		{"X-Foo-Bar", "x-foo-bar", "X-Foo-Bar"},
		{"x-already", "x-already", "X-Already"},
	} {
		if got := LowerName(c.in); got != c.lower {
			t.Errorf("LowerName(%q) = %q", c.in, got)
		}
		if got := CanonicalName(c.lower); got != c.canon {
			t.Errorf("CanonicalName(%q) = %q", c.lower, got)
		}
		if got := string(appendCanonical(nil, c.lower)); got != http.CanonicalHeaderKey(c.lower) {
			t.Errorf("appendCanonical(%q) = %q", c.lower, got)
		}
	}
	if StatusString(200) != "200" || StatusString(42) != "500" {
		t.Error("StatusString")
	}
}

func TestAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { LowerName("Content-Type"); CanonicalName("user-agent") }); n != 0 {
		t.Errorf("common names: %v allocs", n)
	}
	h := http.Header{"Content-Type": {"text/plain"}, "Cache-Control": {"no-cache"}}
	dst := make([]hpack.Field, 0, 8)
	if n := testing.AllocsPerRun(100, func() { dst = AppendResponse(dst[:0], 200, h) }); n != 0 {
		t.Errorf("AppendResponse: %v allocs", n)
	}
	in := fields(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/", "accept", "*/*", "user-agent", "x", "x-y", "z")
	// The Header map, its buckets, one array for the values, one block
	// for the strings.
	if n := testing.AllocsPerRun(100, func() { DecodeRequest(in) }); n > 4 {
		t.Errorf("DecodeRequest: %v allocs", n)
	}
}

// HTTPRequest builds what both adapters hand on: the URL from :path, or
// the authority alone for a plain CONNECT; a :path that is no request
// target is an error.
func TestHTTPRequest(t *testing.T) {
	var req http.Request
	r := Request{Method: "GET", Scheme: "https", Authority: "example.com", Path: "/a?b=c", Header: http.Header{"X": {"y"}}}
	if err := r.HTTPRequest(&req); err != nil {
		t.Fatal(err)
	}
	if req.Method != "GET" || req.URL.Path != "/a" || req.URL.RawQuery != "b=c" || req.Host != "example.com" ||
		req.Proto != "HTTP/2.0" || req.ProtoMajor != 2 || req.Header.Get("X") != "y" {
		t.Errorf("GET: %+v", req)
	}
	r = Request{Method: "CONNECT", Authority: "example.com:443"}
	if err := r.HTTPRequest(&req); err != nil || req.URL.Host != "example.com:443" || req.URL.Path != "" {
		t.Errorf("CONNECT: %v %+v", err, req.URL)
	}
	r = Request{Method: "GET", Path: "no-slash"}
	if err := r.HTTPRequest(&req); err == nil {
		t.Error("a :path that is no request target gave no error")
	}
	// The fields it sets, no others: a context set before stays.
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "kept")
	withCtx := new(http.Request).WithContext(ctx)
	r = Request{Method: "GET", Scheme: "https", Authority: "example.com", Path: "/"}
	if err := r.HTTPRequest(withCtx); err != nil || withCtx.Context() != ctx || withCtx.URL.Path != "/" {
		t.Errorf("with a context: %v, context %v, URL %v", err, withCtx.Context(), withCtx.URL)
	}
}

// TestParsePlainPath: the fast path of HTTPRequestURL gives what
// url.ParseRequestURI gives, and leaves to it what it cannot.
func TestParsePlainPath(t *testing.T) {
	for _, p := range []string{
		"/", "/a", "/a/b.html", "//x", "/a?", "/a?b", "/a?b?", "/a??", "/a?b=c&d=e", "/a?%zz", "/a?b#c",
		"/a#b", "/a%20b", "/a%zz", "/a b", "/a\x7f", "/é", "/a?é", "/a?b c", "*", "", "a", "http://x/y",
		"/$&+,:;=@-_.~", "/a!b", "/a'b", "/a(b)", "/a*b", "/a[b]", "/a\"b", "/a|b", "/a\\b", "/a^b", "/a`b", "/a{b}",
	} {
		var u url.URL
		ok := parsePlainPath(&u, p)
		want, err := url.ParseRequestURI(p)
		switch {
		case ok && err != nil:
			t.Errorf("%q: fast path took it, ParseRequestURI: %v", p, err)
		case ok && !reflect.DeepEqual(u, *want):
			t.Errorf("%q: fast path %#v, ParseRequestURI %#v", p, u, *want)
		}
	}
	for _, p := range []string{"/", "/index.html", "/a/b?c=d&e=f", "/a?"} {
		if !parsePlainPath(new(url.URL), p) {
			t.Errorf("%q: not on the fast path", p)
		}
	}
}

// TestAppendRequestConnect: a plain CONNECT has :method and :authority
// only (RFC 9113, Section 8.5); with the ":protocol" header it is an
// extended CONNECT with :protocol, :scheme, :authority and :path (RFC
// 8441, Section 4), and ":protocol" is not sent as a regular field.
func TestAppendRequestConnect(t *testing.T) {
	u, _ := url.Parse("https://a.example/chat?room=1")
	req := &http.Request{Method: "CONNECT", URL: u, Header: http.Header{}}
	if got := AppendRequest(nil, req, "a.example", -1); !reflect.DeepEqual(got, fields(":method", "CONNECT", ":authority", "a.example")) {
		t.Fatalf("plain CONNECT %v", got)
	}
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	got := AppendRequest(nil, req, "a.example", -1)
	want := fields(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a.example", ":path", "/chat?room=1",
		"sec-websocket-version", "13")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("extended CONNECT %v", got)
	}
}

// TestDecodeRequestRepeats: repeated names, common (looked up in the
// table, seen in a set) and others (looked up in the header), interleaved,
// keep their values in order as http.Header.Add would, with and without
// scratch room.
func TestDecodeRequestRepeats(t *testing.T) {
	in := fields(":method", "GET", ":path", "/", "accept", "a1", "x-one", "o1", "sec-ch-ua", "s",
		"accept", "a2", "x-one", "o2", "user-agent", "u", "accept", "a3", "x-two", "t")
	want := http.Header{}
	for _, f := range in[2:] {
		want.Add(f.Name, f.Value)
	}
	for _, s := range []Scratch{{}, {Vals: make([]string, 0, 8), Strs: make([]byte, 0, 256)}} {
		got, err := DecodeRequestScratch(in, s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Header, want) {
			t.Fatalf("scratch %d/%d: got %v, want %v", cap(s.Vals), cap(s.Strs), got.Header, want)
		}
	}
}

// TestDecodeRequestScratchAllocs: with room enough, the values' slice and
// the strings' block are not allocated (the header map still is).
func TestDecodeRequestScratchAllocs(t *testing.T) {
	in := fields(":method", "GET", ":scheme", "http", ":authority", "127.0.0.1:8080", ":path", "/",
		"user-agent", "h2load nghttp2/1.52.0", "x-trace", "abc")
	without := testing.AllocsPerRun(100, func() { DecodeRequest(in) })
	vals, strs := make([]string, 0, 4), make([]byte, 0, 160)
	with := testing.AllocsPerRun(100, func() { DecodeRequestScratch(in, Scratch{Vals: vals, Strs: strs}) })
	if with > without-2 {
		t.Fatalf("%.0f allocations with scratch, %.0f without: want 2 fewer", with, without)
	}
}

// BenchmarkDecodeRequest: the request head of shape D of
// scripts/h2load-compare (what a browser sends, a 500-byte cookie).
func BenchmarkDecodeRequest(b *testing.B) {
	in := fields(append([]string{":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/"},
		testpeer.BrowserFields()...)...)
	b.ReportAllocs()
	for b.Loop() {
		DecodeRequest(in)
	}
}

// TestDecodeRequestCookieCrumbs: cookie fields sent one pair each, as
// browsers do, are joined in order into one value, in the block, with
// no allocation of their own: as many allocations as for the same
// cookies in one field.
func TestDecodeRequestCookieCrumbs(t *testing.T) {
	head := []string{":method", "GET", ":scheme", "https", ":path", "/", "accept", "*/*"}
	var crumbs, pairs []string
	for i := range 12 {
		pair := "c" + strconv.Itoa(i) + "=" + strings.Repeat("v", i)
		pairs = append(pairs, pair)
		crumbs = append(crumbs, "cookie", pair)
		if i == 5 {
			crumbs = append(crumbs, "x-between", "x")
		}
	}
	in := fields(append(head, crumbs...)...)
	one := fields(append(head, "cookie", strings.Join(pairs, "; "), "x-between", "x")...)
	got, err := DecodeRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{strings.Join(pairs, "; ")}; !reflect.DeepEqual(got.Header["Cookie"], want) {
		t.Fatalf("Cookie %q, want %q", got.Header["Cookie"], want)
	}
	if a, b := testing.AllocsPerRun(50, func() { DecodeRequest(in) }), testing.AllocsPerRun(50, func() { DecodeRequest(one) }); a > b {
		t.Fatalf("%.0f allocations for the crumbs, %.0f for one field", a, b)
	}
}

// BenchmarkDecodeRequestCached: shape D's request head again and again
// through one RequestCache, as a server decodes a browser's requests on
// one connection.
func BenchmarkDecodeRequestCached(b *testing.B) {
	in := fields(append([]string{":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/"},
		testpeer.BrowserFields()...)...)
	var c RequestCache
	b.ReportAllocs()
	for b.Loop() {
		c.Decode(in, Scratch{})
	}
}

// BenchmarkDecodeRequestCachedPaths: shape D's request head through one
// RequestCache with scratch room, its :path changing with every request
// (as a browser's loads of a page's resources do) and, in "once", its
// referer changed once before the loop.
func BenchmarkDecodeRequestCachedPaths(b *testing.B) {
	base := fields(append([]string{":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/"},
		testpeer.BrowserFields()...)...)
	for _, once := range []bool{false, true} {
		b.Run(map[bool]string{false: "every", true: "once"}[once], func(b *testing.B) {
			var reqs [][]hpack.Field
			for k := range 64 {
				in := slices.Clone(base)
				if !once {
					in[3].Value = "/static/" + strconv.Itoa(k) + ".js"
				}
				reqs = append(reqs, in)
			}
			var c RequestCache
			c.Decode(base, Scratch{})
			if once {
				for _, in := range reqs {
					for j := range in {
						if in[j].Name == "referer" {
							in[j].Value = "https://www.example.com/next.html"
						}
					}
				}
			}
			s := Scratch{Vals: make([]string, 0, 20), Strs: make([]byte, 0, 160)}
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				c.Decode(reqs[k%len(reqs)], s)
				k++
			}
		})
	}
}
