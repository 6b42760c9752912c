package httpcommon

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestResponseDecoderRepeated: DecodeRepeated through a sequence of
// sections, each with the identifier an HPACK decoder would give it
// (the same for the same fields, another for others, sometimes none),
// decodes each as DecodeResponse does, also when a section's fields are
// taken from what the decoder kept (the fields' bytes are overwritten
// after each section, as the HPACK decoder reuses its buffer), and each
// response's header is its own.
func TestResponseDecoderRepeated(t *testing.T) {
	ng := func(date string) []string {
		return []string{":status", "200", "server", "nghttpd nghttp2/1.52.0", "date", date,
			"content-length", "13", "last-modified", "Sun, 06 Dec 2026 04:18:30 GMT", "content-type", "text/html"}
	}
	many := []string{":status", "204"}
	for i := range 40 {
		many = append(many, "x-f"+strings.Repeat("y", i), "v")
	}
	seq := [][]string{
		ng("Sun, 06 Dec 2026 04:18:35 GMT"),
		ng("Sun, 06 Dec 2026 04:18:35 GMT"),
		ng("Sun, 06 Dec 2026 04:18:35 GMT"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT"),
		{":status", "200", "set-cookie", "a=1", "x-one", "o1", "set-cookie", "b=2", "content-length", "3", "content-length", "3"},
		{":status", "200", "set-cookie", "a=1", "x-one", "o1", "set-cookie", "b=2", "content-length", "3", "content-length", "3"},
		{":status", "200", "trailer", "grpc-status, x-sum", "content-type", "application/grpc"},
		{":status", "200", "trailer", "grpc-status, x-sum", "content-type", "application/grpc"},
		{":status", "200", "content-length", "x"},
		{":status", "200", "content-length", "x"},
		{":status", "304"},
		{":status", "304"},
		many,
		many,
		ng("Sun, 06 Dec 2026 04:18:36 GMT"),
		ng("Sun, 06 Dec 2026 04:18:36 GMT"),
	}
	var d ResponseDecoder
	var prev []string
	var prevHeader map[string][]string
	id := uint64(0)
	for n, kv := range seq {
		switch {
		case n == len(seq)-2:
			id = 0 // a section that came without one
		case n == len(seq)-1 || !slices.Equal(kv, prev):
			id = uint64(100 + n)
		}
		prev = kv
		in, scribble := volatile(fields(kv...))
		want, wantErr := DecodeResponse(in)
		got, err := d.DecodeRepeated(in, make([]string, 0, 4), id)
		scribble()
		if err != wantErr || got.Status != want.Status || got.ContentLength != want.ContentLength ||
			!reflect.DeepEqual(got.Header, want.Header) || !reflect.DeepEqual(got.Trailer, want.Trailer) {
			t.Fatalf("section %d (id %d): got %d %d %v %v %v, want %d %d %v %v %v", n, id, got.Status, got.ContentLength, got.Header, got.Trailer, err,
				want.Status, want.ContentLength, want.Header, want.Trailer, wantErr)
		}
		if prevHeader != nil && len(got.Header) > 0 && reflect.ValueOf(prevHeader).UnsafePointer() == reflect.ValueOf(got.Header).UnsafePointer() {
			t.Fatalf("section %d: the header map of the section before", n)
		}
		for k, v := range got.Header {
			v[0] = "changed" // the next response's values stay as they are
			got.Header[k] = append(v, "more")
		}
		prevHeader = got.Header
	}
}

// TestResponseDecoderRepeatedAllocs: a section the decoder kept costs its
// map alone when it comes again with its identifier, as when it is
// compared.
func TestResponseDecoderRepeatedAllocs(t *testing.T) {
	var d ResponseDecoder
	in := nghttpdResponse()
	vals := make([]string, 0, 6)
	if _, err := d.DecodeRepeated(in, vals, 7); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { d.DecodeRepeated(in, vals, 7) }); n > 2 {
		t.Fatalf("%.0f allocations for a repeated section, want 2 (the map)", n)
	}
}

func BenchmarkResponseDecoderRepeated(b *testing.B) {
	var d ResponseDecoder
	in := nghttpdResponse()
	vals := make([]string, 0, 6)
	b.ReportAllocs()
	for b.Loop() {
		d.DecodeRepeated(in, vals, 7)
	}
}
