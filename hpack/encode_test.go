package hpack

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// roundTrip encodes fields with e, decodes them with d and checks the
// result and the two tables.
func roundTrip(t *testing.T, e *Encoder, d *Decoder, fields []Field) []byte {
	t.Helper()
	block := e.Encode(nil, fields)
	got, err := d.Decode(nil, block)
	if err != nil {
		t.Fatalf("Decode(%x): %v", block, err)
	}
	if !sameFields(got, fields) {
		t.Fatalf("decoded %q, want %q", got, fields)
	}
	if e.DynamicTableLen() != d.DynamicTableLen() || e.DynamicTableSize() != d.DynamicTableSize() {
		t.Fatalf("encoder table %d entries, size %d; decoder %d, %d",
			e.DynamicTableLen(), e.DynamicTableSize(), d.DynamicTableLen(), d.DynamicTableSize())
	}
	return block
}

// TestEncodeSeedExample encodes the two similar requests of "Learning
// HTTP/2", chapter 5: the second must shrink to a few dozen octets.
func TestEncodeSeedExample(t *testing.T) {
	req := func(path, cookie string) []Field {
		return []Field{
			{Name: ":authority", Value: "www.akamai.com"},
			{Name: ":method", Value: "GET"},
			{Name: ":path", Value: path},
			{Name: ":scheme", Value: "https"},
			{Name: "accept", Value: "text/html,application/xhtml+xml"},
			{Name: "accept-language", Value: "en-US,en;q=0.8"},
			{Name: "cookie", Value: cookie},
			{Name: "upgrade-insecure-requests", Value: "1"},
			{Name: "user-agent", Value: "Awesome H2/1.0"},
		}
	}
	e, d := NewEncoder(), NewDecoder(DefaultTableSize)
	r1 := req("/", "last_page=286A7F3DE")
	b1 := roundTrip(t, e, d, r1)
	r2 := req("/style.css", "last_page=*398AB8E8F")
	b2 := roundTrip(t, e, d, r2)
	t.Logf("request 1: %d octets, request 2: %d octets (plain text: %d and %d)", len(b1), len(b2), textLen(r1), textLen(r2))
	if len(b2) > 48 {
		t.Errorf("second request takes %d octets, want a few dozen", len(b2))
	}
	// A third request differing only by its path: a handful of octets
	// plus the path.
	b3 := roundTrip(t, e, d, req("/script.js", "last_page=*398AB8E8F"))
	if len(b3) > 20 {
		t.Errorf("third request takes %d octets: %x", len(b3), b3)
	}
}

// sameFields is equalFields, except that got may be Sensitive where want
// is not: the Encoder sends some fields never indexed by itself.
func sameFields(got, want []Field) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Value != want[i].Value || want[i].Sensitive && !got[i].Sensitive {
			return false
		}
	}
	return true
}

func textLen(fields []Field) (n int) {
	for _, f := range fields {
		n += len(f.Name) + len(f.Value) + 4
	}
	return n
}

// TestEncodeBrowserSequence checks the compression of the benchmark's
// browser requests, with a 500-octet cookie.
func TestEncodeBrowserSequence(t *testing.T) {
	e, d := NewEncoder(), NewDecoder(DefaultTableSize)
	msgs := browserRequests()
	var sizes []int
	for _, m := range msgs {
		sizes = append(sizes, len(roundTrip(t, e, d, m)))
	}
	t.Logf("block sizes %v for %d octets of fields each", sizes, textLen(msgs[0]))
	for i, n := range sizes[1:] {
		if n > 80 {
			t.Errorf("request %d takes %d octets", i+2, n)
		}
	}
	// The same request again: its :path, seen twice, is added; and the
	// next time, one octet per field.
	roundTrip(t, e, d, msgs[2])
	if b := roundTrip(t, e, d, msgs[2]); len(b) != len(msgs[2]) {
		t.Errorf("repeated request takes %d octets for %d fields", len(b), len(msgs[2]))
	}
}

func TestEncodeRepresentations(t *testing.T) {
	long := strings.Repeat("x", 3500)
	for _, tc := range []struct {
		name  string
		field Field
		first byte // the first octet of the representation
		// (Sensitive is set where the Encoder chooses it by itself, as
		// the decoder reports it.)
		added bool // added to the dynamic table
	}{
		{"static pair", Field{Name: ":method", Value: "GET"}, 0x82, false},
		{"static name", Field{Name: "content-type", Value: "text/plain"}, 0x40 | 31, true},
		{"new name", Field{Name: "x-custom", Value: "1"}, 0x40, true},
		{"caller-marked sensitive", Field{Name: "x-token", Value: "secret", Sensitive: true}, 0x10, false},
		{"sensitive static pair", Field{Name: ":method", Value: "GET", Sensitive: true}, 0x12, false},
		{"authorization", Field{Name: "authorization", Value: "Basic dXNlcjpwYXNzd29yZA==", Sensitive: true}, 0x1f, false},
		{"proxy-authorization", Field{Name: "proxy-authorization", Value: "Bearer x", Sensitive: true}, 0x1f, false},
		{"short cookie", Field{Name: "cookie", Value: "session=1234567", Sensitive: true}, 0x1f, false},
		{"long cookie", Field{Name: "cookie", Value: "session=12345678901234567890"}, 0x40 | 32, true},
		{"huge value", Field{Name: "x-big", Value: long}, 0x00, false},
		{"volatile, first sighting", Field{Name: ":path", Value: "/a/b"}, 0x04, false},
		{"volatile custom name", Field{Name: "x-request-id", Value: "42"}, 0x00, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, d := NewEncoder(), NewDecoder(DefaultTableSize)
			in := tc.field
			if in.Name != "x-token" && in.Name != ":method" {
				in.Sensitive = false // chosen by the Encoder, not the caller
			}
			b := e.AppendField(nil, in)
			if b[0] != tc.first {
				t.Errorf("first octet %#x, want %#x (block %x)", b[0], tc.first, b[:min(len(b), 8)])
			}
			if added := e.DynamicTableLen() == 1; added != tc.added {
				t.Errorf("added to the table: %v, want %v", added, tc.added)
			}
			got, err := d.Decode(nil, b)
			if err != nil || len(got) != 1 || got[0] != tc.field {
				t.Errorf("decoded %q, %v; want %q", got, err, tc.field)
			}
		})
	}
}

// TestEncodeVolatile checks that a volatile field is indexed on its second
// sighting, then referenced.
func TestEncodeVolatile(t *testing.T) {
	e, d := NewEncoder(), NewDecoder(DefaultTableSize)
	f := []Field{{Name: ":path", Value: "/helloworld.Greeter/SayHello"}}
	b1 := roundTrip(t, e, d, f)
	b2 := roundTrip(t, e, d, f)
	b3 := roundTrip(t, e, d, f)
	if b1[0] != 0x04 || b2[0] != 0x44 || !bytes.Equal(b3, []byte{0xbe}) {
		t.Errorf("blocks %x, %x, %x; want without indexing, with indexing, then indexed", b1, b2, b3)
	}
}

// TestEncodeDynamicName checks that a name in the dynamic table is sent as
// an index.
func TestEncodeDynamicName(t *testing.T) {
	e, d := NewEncoder(), NewDecoder(DefaultTableSize)
	roundTrip(t, e, d, []Field{{Name: "x-custom", Value: "1"}})
	b := roundTrip(t, e, d, []Field{{Name: "x-custom", Value: "2"}, {Name: "x-custom", Value: "3", Sensitive: true}})
	// 0x7e: with indexing, name 62; 0x1f 0x2f: never indexed, name 62
	// (the newest x-custom, just added).
	if want := []byte{0x7e, 0x01, '2', 0x1f, 0x2f, 0x01, '3'}; !bytes.Equal(b, want) {
		t.Errorf("block %x, want %x", b, want)
	}
}

// TestEncodeSizeUpdates checks the dynamic table size updates of RFC 7541,
// Section 4.2: the minimum, then the final size, at the start of the next
// block.
func TestEncodeSizeUpdates(t *testing.T) {
	f := []Field{{Name: "x-a", Value: strings.Repeat("a", 40)}}
	for _, tc := range []struct {
		name    string
		change  func(*Encoder)
		allowed uint32 // what the decoder allows
		prefix  string // the size updates
		max     uint32 // the encoder's table size after
	}{
		{"no change", func(e *Encoder) {}, 4096, "", 4096},
		{"same value", func(e *Encoder) { e.SetMaxDynamicTableSize(4096) }, 4096, "", 4096},
		{"smaller", func(e *Encoder) { e.SetMaxDynamicTableSize(1024) }, 1024, "3fe107", 1024},
		{"larger than the limit", func(e *Encoder) { e.SetMaxDynamicTableSize(65536) }, 65536, "", 4096},
		{"larger with a larger limit", func(e *Encoder) {
			e.SetMaxDynamicTableSizeLimit(1 << 20)
			e.SetMaxDynamicTableSize(8192)
		}, 8192, "3fe13f", 8192},
		{"smaller limit", func(e *Encoder) { e.SetMaxDynamicTableSizeLimit(100) }, 4096, "3f45", 100},
		{"zero then back", func(e *Encoder) {
			e.SetMaxDynamicTableSize(0)
			e.SetMaxDynamicTableSize(4096)
		}, 4096, "203fe11f", 4096},
		{"down, up, down", func(e *Encoder) {
			e.SetMaxDynamicTableSize(100)
			e.SetMaxDynamicTableSize(4096)
			e.SetMaxDynamicTableSize(2048)
		}, 4096, "3f453fe10f", 2048},
		{"up then back", func(e *Encoder) {
			e.SetMaxDynamicTableSizeLimit(8192)
			e.SetMaxDynamicTableSize(8192)
			e.SetMaxDynamicTableSize(4096)
		}, 8192, "", 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, d := NewEncoder(), NewDecoder(DefaultTableSize)
			roundTrip(t, e, d, f)
			tc.change(e)
			d.SetMaxDynamicTableSize(tc.allowed)
			b := roundTrip(t, e, d, f)
			if !bytes.HasPrefix(b, unhex(t, tc.prefix)) || b[len(tc.prefix)/2]&0xe0 == 0x20 {
				t.Errorf("block %x, want size updates %s then fields", b, tc.prefix)
			}
			if e.t.maxSize != tc.max || d.t.maxSize != tc.max {
				t.Errorf("max sizes %d and %d, want %d", e.t.maxSize, d.t.maxSize, tc.max)
			}
			// Updates are sent once.
			if b := e.Encode(nil, f); b[0]&0xe0 == 0x20 {
				t.Errorf("next block %x starts with a size update again", b)
			}
		})
	}
	// An empty block still carries the updates.
	e := NewEncoder()
	e.SetMaxDynamicTableSize(0)
	if b := e.Encode(nil, nil); !bytes.Equal(b, []byte{0x20}) {
		t.Errorf("empty block %x, want 20", b)
	}
	// With a zero-size table nothing is ever added.
	d := NewDecoder(0)
	for range 3 {
		roundTrip(t, e, d, f)
	}
	if e.DynamicTableLen() != 0 {
		t.Errorf("%d entries in a zero-size table", e.DynamicTableLen())
	}
}

// TestEncodeAllocs pins zero allocations per encoded block in steady state.
func TestEncodeAllocs(t *testing.T) {
	for _, set := range benchSets {
		t.Run(set.name, func(t *testing.T) {
			e := NewEncoder()
			var buf []byte
			run := func() {
				for _, m := range set.msgs {
					buf = e.Encode(buf[:0], m)
				}
			}
			// Also with the table reset each time: adding entries is
			// allocation-free once the table's buffers have grown.
			reset := func() {
				e.SetMaxDynamicTableSize(0)
				e.SetMaxDynamicTableSize(DefaultTableSize)
				run()
			}
			for _, f := range []func(){run, reset} {
				f()
				f()
				if n := testing.AllocsPerRun(100, f); n != 0 {
					t.Errorf("%v allocations per %d blocks", n, len(set.msgs))
				}
			}
		})
	}
}

// TestEncodeRFCKnob checks that indexAll is what makes the encoder index
// :path (the RFC examples do).
func TestEncodeRFCKnob(t *testing.T) {
	e := NewEncoder()
	e.indexAll = true
	if b := e.AppendField(nil, Field{Name: ":path", Value: "/x"}); b[0] != 0x44 {
		t.Errorf("first octet %#x, want 0x44", b[0])
	}
}

// TestEncodeSameAsLast: Encode, which first compares each field with the
// entry that represented the field at its position in the previous
// block, writes what appendField alone (AppendField, field by field)
// writes, through repeats, changed values, reordering, Sensitive fields,
// evictions and a string whose bytes change in place between blocks.
func TestEncodeSameAsLast(t *testing.T) {
	mutable := []byte("value-one")
	inPlace := unsafe.String(&mutable[0], len(mutable))
	base := []Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain"},
		{Name: "x-mutable", Value: inPlace}, {Name: "content-length", Value: "13"}, {Name: "server", Value: "h2kit"}}
	blocks := [][]Field{base, base, base}
	blocks = append(blocks, append([]Field{base[4]}, base[:4]...)) // shifted by one
	sensitive := slices.Clone(base)
	sensitive[1].Sensitive = true
	blocks = append(blocks, sensitive, base)
	big := []Field{{Name: "x-big", Value: strings.Repeat("b", 3000)}} // evicts most of the table
	blocks = append(blocks, big, base, base)

	e := NewEncoder()
	ref := NewEncoder()
	ref.seed = e.seed // the same hashes, so the same volatile-field decisions
	d := NewDecoder(DefaultTableSize)
	for i, fs := range blocks {
		if i == 2 || i == 7 {
			copy(mutable, "value-two") // same string, other bytes
		}
		got := e.Encode(nil, fs)
		var want []byte
		for _, f := range fs {
			want = ref.AppendField(want, f)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("block %d: Encode %x, AppendField %x", i, got, want)
		}
		dec, err := d.Decode(nil, got)
		if err != nil || !sameFields(dec, fs) {
			t.Fatalf("block %d: decoded %q, %v; want %q", i, dec, err, fs)
		}
	}
}
