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
