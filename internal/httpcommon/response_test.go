package httpcommon

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/h2kit/h2kit/hpack"
)

// TestDecodeResponseRepeats: repeated names, common and others,
// interleaved, keep their values in order as http.Header.Add would, with
// and without scratch room, and with room too small for the response.
func TestDecodeResponseRepeats(t *testing.T) {
	in := fields(":status", "200", "set-cookie", "a=1", "x-one", "o1", "vary", "accept",
		"set-cookie", "b=2", "x-one", "o2", "content-length", "3", "set-cookie", "c=3", "x-two", "t")
	want := http.Header{}
	for _, f := range in[1:] {
		want.Add(f.Name, f.Value)
	}
	for _, s := range []Scratch{{}, {Vals: make([]string, 0, 8), Strs: make([]byte, 0, 256)},
		{Vals: make([]string, 0, 2), Strs: make([]byte, 0, 8)}} {
		got, err := DecodeResponseScratch(in, s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Header, want) || got.Status != 200 || got.ContentLength != 3 {
			t.Fatalf("scratch %d/%d: got %d %d %v, want %v", cap(s.Vals), cap(s.Strs), got.Status, got.ContentLength, got.Header, want)
		}
	}
}

// TestDecodeResponseScratch: with room enough, the values and their
// strings are in the scratch room (the header map is all that is
// allocated), and the result does not alias the fields' strings.
func TestDecodeResponseScratch(t *testing.T) {
	in := nghttpdResponse()
	vals, strs := make([]string, 0, 6), make([]byte, 0, 192)
	r, err := DecodeResponseScratch(in, Scratch{Vals: vals, Strs: strs})
	if err != nil {
		t.Fatal(err)
	}
	server := r.Header["Server"]
	if len(server) != 1 || server[0] != in[1].Value {
		t.Fatalf("Server %q", server)
	}
	if &server[0] != &vals[:1][0] {
		t.Error("the first value is not in Scratch.Vals")
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(server[0])))
	if base := uintptr(unsafe.Pointer(&strs[:1][0])); p < base || p >= base+uintptr(cap(strs)) {
		t.Error("the value's bytes are not in Scratch.Strs")
	}
	without := testing.AllocsPerRun(100, func() { DecodeResponse(in) })
	with := testing.AllocsPerRun(100, func() { DecodeResponseScratch(in, Scratch{Vals: vals, Strs: strs}) })
	if with > without-2 {
		t.Fatalf("%.0f allocations with scratch, %.0f without: want 2 fewer", with, without)
	}
}

// nghttpdResponse is the response header section nghttpd sends for a
// small file.
func nghttpdResponse() []hpack.Field {
	return fields(":status", "200", "server", "nghttpd nghttp2/1.52.0", "date", "Sun, 06 Dec 2026 04:18:35 GMT",
		"content-length", "13", "last-modified", "Sun, 06 Dec 2026 04:18:30 GMT", "etag", `"6573c3e6-d"`)
}

func BenchmarkDecodeResponse(b *testing.B) {
	in := nghttpdResponse()
	vals, strs := make([]string, 0, 6), make([]byte, 0, 192)
	b.ReportAllocs()
	for b.Loop() {
		DecodeResponseScratch(in, Scratch{Vals: vals, Strs: strs})
	}
}

// TestLookupCommon: the slot table finds every common name at its
// index, within a few probes, and no other name, not even one of the
// same length with the same first, middle and last bytes (the same
// hash).
func TestLookupCommon(t *testing.T) {
	longest := 0
	for i, c := range commonNames {
		l := strings.ToLower(c)
		if got, ok := lookupCommon(l); !ok || int(got) != i {
			t.Errorf("%s: %d %v, want %d", c, got, ok, i)
		}
		probes := 1
		for h := commonHash(l); commonSlots[h%uint32(len(commonSlots))] != uint8(i+1); h++ {
			probes++
		}
		longest = max(longest, probes)
	}
	if longest > 4 {
		t.Errorf("a common name is %d probes from its slot", longest)
	}
	for _, n := range []string{"x-custom", "dat", "datf", "dxte", "server2", "a", "", "accepts",
		"sec-ch-ub", "sec-fetch-usex", "cookie\x00", "Cookie"} {
		if i, ok := lookupCommon(n); ok {
			t.Errorf("%q found at %d", n, i)
		}
	}
}

// TestResponseDecoder: one decoder through a sequence of sections, the
// same layout again and again with values changing, repeats, trailers,
// content-length changes and errors, and other layouts in between,
// decodes each as DecodeResponse does; what it returns does not alias the
// fields' strings (their bytes are overwritten after each section, as
// the HPACK decoder reuses its buffer).
func TestResponseDecoder(t *testing.T) {
	ng := func(date, length string) []string {
		return []string{":status", "200", "server", "nghttpd nghttp2/1.52.0", "date", date,
			"content-length", length, "last-modified", "Sun, 06 Dec 2026 04:18:30 GMT", "x-id", `a`}
	}
	many := []string{":status", "204"}
	for i := range 40 {
		many = append(many, "x-f"+strings.Repeat("y", i), "v")
	}
	seq := [][]string{
		ng("Sun, 06 Dec 2026 04:18:35 GMT", "13"),
		ng("Sun, 06 Dec 2026 04:18:35 GMT", "13"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT", "13"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT", "14"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT", "x"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT", "x"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT", "14"),
		{":status", "200", "set-cookie", "a=1", "x-one", "o1", "set-cookie", "b=2", "content-length", "3", "content-length", "3"},
		{":status", "200", "set-cookie", "a=1", "x-one", "o1", "set-cookie", "b=3", "content-length", "3", "content-length", "3"},
		{":status", "200", "set-cookie", "a=1", "x-one", "o1", "set-cookie", "b=3", "content-length", "3", "content-length", "4"},
		{":status", "200", "trailer", "grpc-status, x-sum", "content-type", "application/grpc"},
		{":status", "200", "trailer", "grpc-message", "content-type", "application/grpc"},
		{":status", "2000", "x-long", strings.Repeat("L", 300), "x-Odd_name", "v"},
		{":status", "200", "x-long", strings.Repeat("M", 300), "x-Odd_name", "v"},
		{":status", "304"},
		{":status", "304"},
		{"x-no-status", "1"},
		many,
		many,
		ng("Sun, 06 Dec 2026 04:18:37 GMT", "13"),
	}
	var d ResponseDecoder
	for n, kv := range seq {
		in, scribble := volatile(fields(kv...))
		want, wantErr := DecodeResponse(in)
		got, err := d.Decode(in, make([]string, 0, 4))
		scribble()
		if err != wantErr || got.Status != want.Status || got.ContentLength != want.ContentLength ||
			!reflect.DeepEqual(got.Header, want.Header) || !reflect.DeepEqual(got.Trailer, want.Trailer) {
			t.Fatalf("section %d: got %d %d %v %v %v, want %d %d %v %v %v", n, got.Status, got.ContentLength, got.Header, got.Trailer, err,
				want.Status, want.ContentLength, want.Header, want.Trailer, wantErr)
		}
	}
}

// TestResponseDecoderShares: a value equal to the last section's is the
// same string, yet each response's header is its own: changing one
// response's value slice leaves the next one's alone. With the same
// layout and room for the values, the map is all a section allocates.
func TestResponseDecoderShares(t *testing.T) {
	var d ResponseDecoder
	in := nghttpdResponse()
	r1, err := d.Decode(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := d.Decode(in, nil)
	s1, s2 := r1.Header["Server"], r2.Header["Server"]
	if unsafe.StringData(s1[0]) != unsafe.StringData(s2[0]) {
		t.Error("an unchanged value was copied again")
	}
	if unsafe.StringData(s1[0]) == unsafe.StringData(in[1].Value) {
		t.Error("the value aliases the field's string")
	}
	s1[0] = "changed"
	r1.Header.Add("Server", "more")
	if r2.Header.Get("Server") != in[1].Value || len(r2.Header["Server"]) != 1 {
		t.Fatalf("r2's Server became %q", r2.Header["Server"])
	}
	vals := make([]string, 0, 6)
	if n := testing.AllocsPerRun(100, func() { d.Decode(in, vals) }); n > 2 {
		t.Fatalf("%.0f allocations for a section like the last one, want 2 (the map)", n)
	}
}

func BenchmarkResponseDecoder(b *testing.B) {
	var d ResponseDecoder
	in := nghttpdResponse()
	vals := make([]string, 0, 6)
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(in, vals)
	}
}
