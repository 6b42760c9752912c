package hpack

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// TestHuffmanRFC checks strings encoded in RFC 7541, Appendix C.4 and C.6.
func TestHuffmanRFC(t *testing.T) {
	for _, tc := range []struct{ s, hex string }{
		{"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"},
		{"no-cache", "a8eb10649cbf"},
		{"custom-key", "25a849e95ba97d7f"},
		{"custom-value", "25a849e95bb8e8b4bf"},
		{"302", "6402"},
		{"private", "aec3771a4b"},
		{"Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"},
		{"https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"},
		{"307", "640eff"},
		{"gzip", "9bd9ab"},
		{"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"},
		{"", ""},
	} {
		want := unhex(t, tc.hex)
		if got := AppendHuffman(nil, tc.s); !bytes.Equal(got, want) {
			t.Errorf("AppendHuffman(%q) = %x, want %x", tc.s, got, want)
		}
		if n := HuffmanEncodedLen(tc.s); n != len(want) {
			t.Errorf("HuffmanEncodedLen(%q) = %d, want %d", tc.s, n, len(want))
		}
		got, err := AppendHuffmanDecode([]byte("prefix"), want)
		if err != nil || string(got) != "prefix"+tc.s {
			t.Errorf("AppendHuffmanDecode(%x) = %q, %v; want %q", want, got, err, tc.s)
		}
	}
}

// TestHuffmanRoundTrip encodes and decodes every octet alone, every pair of
// octets, and random strings, comparing with golang.org/x/net.
func TestHuffmanRoundTrip(t *testing.T) {
	check := func(s string) {
		t.Helper()
		enc := AppendHuffman(nil, s)
		if want := xhpack.AppendHuffmanString(nil, s); !bytes.Equal(enc, want) {
			t.Fatalf("AppendHuffman(%q) = %x, x/net %x", s, enc, want)
		}
		if len(enc) != HuffmanEncodedLen(s) {
			t.Fatalf("HuffmanEncodedLen(%q) = %d, encoded %d", s, HuffmanEncodedLen(s), len(enc))
		}
		dec, err := AppendHuffmanDecode(nil, enc)
		if err != nil || string(dec) != s {
			t.Fatalf("decode(encode(%q)) = %q, %v", s, dec, err)
		}
	}
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		b := make([]byte, rng.IntN(100))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = byte(' ' + rng.IntN(95))
			}
		}
		check(string(b))
	}
}

// TestHuffmanDecodeAgainstXNet decodes every input of up to 2 octets and
// random longer ones, and requires the same result and the same verdict
// as golang.org/x/net.
func TestHuffmanDecodeAgainstXNet(t *testing.T) {
	check := func(in []byte) {
		t.Helper()
		got, err := AppendHuffmanDecode(nil, in)
		want, xerr := xhpack.HuffmanDecodeToString(in)
		if (err == nil) != (xerr == nil) || err == nil && string(got) != want {
			t.Fatalf("decode(%x) = %q, %v; x/net %q, %v", in, got, err, want, xerr)
		}
		if err != nil && !errors.Is(err, ErrInvalidHuffman) {
			t.Fatalf("decode(%x): %v is not ErrInvalidHuffman", in, err)
		}
	}
	check(nil)
	for a := range 256 {
		check([]byte{byte(a)})
		for b := range 256 {
			check([]byte{byte(a), byte(b)})
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 {
				b[i] = 0xff // long codes, EOS
			}
		}
		check(b)
		// Valid strings with their last octets changed: padding cases.
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = byte(' ' + rng.IntN(95))
		}
		enc := AppendHuffman(nil, string(s))
		if len(enc) > 0 {
			enc[len(enc)-1] ^= byte(rng.IntN(256))
		}
		check(enc)
	}
}

func TestHuffmanDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, hex, detail string
	}{
		{"EOS alone", "ffffffff", "EOS"},             // 30 ones then 2 of padding
		{"EOS after symbols", "1fffffffff", "EOS"},   // 'a' then 35 ones
		{"8 bits of padding", "ff", "longer than 7"}, // ones, but a whole octet
		{"15 bits of padding", "1fffff", "longer than 7"},
		{"padding with a zero", "1e", "not a prefix of EOS"}, // 'a' then 110
		{"truncated long code", "fffe", "longer than 7"},     // 16 bits of a 19+ bit code
	} {
		_, err := AppendHuffmanDecode(nil, unhex(t, tc.hex))
		var de *DecodingError
		if !errors.Is(err, ErrInvalidHuffman) || !errors.As(err, &de) || !bytes.Contains([]byte(err.Error()), []byte(tc.detail)) {
			t.Errorf("%s: err = %v, want ErrInvalidHuffman mentioning %q", tc.name, err, tc.detail)
		}
	}
}

func TestHuffmanAllocs(t *testing.T) {
	s := cookie500
	enc := AppendHuffman(nil, s)
	out := make([]byte, 0, 1024)
	n := testing.AllocsPerRun(100, func() {
		out = AppendHuffman(out[:0], s)
		out, _ = AppendHuffmanDecode(out[:0], enc)
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestAppendHuffmanShorter checks the Encoder's speculative encoding
// against the two-pass one, around the limits.
func TestAppendHuffmanShorter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		n := rng.IntN(300)
		b := make([]byte, n)
		alphabet := 95
		if rng.IntN(3) == 0 {
			alphabet = 256
		}
		for i := range b {
			b[i] = byte(' ' + rng.IntN(alphabet))
		}
		s := string(b)
		prefix := []byte("xy")
		got, ok := appendHuffmanShorter(prefix, s)
		hl := HuffmanEncodedLen(s)
		if want := hl < len(s); ok != want {
			t.Fatalf("%q: ok = %v, want %v (Huffman %d octets)", s, ok, want, hl)
		}
		if !ok {
			if string(got) != "xy" {
				t.Fatalf("%q: dst changed to %q", s, got)
			}
			continue
		}
		want := AppendHuffman(AppendInt([]byte("xy"), 0x80, 7, uint64(hl)), s)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: %x, want %x", s, got, want)
		}
	}
}
