package hpack

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// fieldGen generates header lists that look like HTTP traffic: names and
// values repeat (so the dynamic tables fill and evict), with some random,
// binary, empty, sensitive and oversized ones.
type fieldGen struct {
	rng    *rand.Rand
	names  []string
	values []string
}

func newFieldGen(seed uint64) *fieldGen {
	g := &fieldGen{rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	for i := 1; i <= staticTableLen; i++ {
		g.names = append(g.names, staticTable[i].Name)
	}
	g.names = append(g.names, "x-a", "x-b", "x-request-id", "grpc-timeout", "", "X-Upper", "x-\x00bin")
	for range 40 {
		g.values = append(g.values, g.randString(g.rng.IntN(60)))
	}
	g.values = append(g.values, "", "GET", "200", "gzip, deflate", cookie500)
	return g
}

func (g *fieldGen) randString(n int) string {
	b := make([]byte, n)
	binary := g.rng.IntN(8) == 0
	for i := range b {
		if binary {
			b[i] = byte(g.rng.IntN(256))
		} else {
			b[i] = byte(' ' + g.rng.IntN(95))
		}
	}
	return string(b)
}

func (g *fieldGen) field() Field {
	f := Field{Name: g.names[g.rng.IntN(len(g.names))]}
	switch r := g.rng.IntN(100); {
	case r < 5:
		f.Name = g.randString(g.rng.IntN(20))
		f.Value = g.randString(g.rng.IntN(20))
	case r < 8:
		f.Value = g.randString(1000 + g.rng.IntN(4000)) // too large to index, or larger than the table
	case r < 60:
		f.Value = g.values[g.rng.IntN(len(g.values))]
	case r < 70:
		i := 1 + g.rng.IntN(staticTableLen)
		f = Field{Name: staticTable[i].Name, Value: staticTable[i].Value}
	default:
		f.Value = g.randString(g.rng.IntN(200))
	}
	f.Sensitive = g.rng.IntN(12) == 0
	return f
}

func (g *fieldGen) fields() []Field {
	fs := make([]Field, 1+g.rng.IntN(20))
	for i := range fs {
		fs[i] = g.field()
	}
	return fs
}

func toX(fs []Field) []xhpack.HeaderField {
	xs := make([]xhpack.HeaderField, len(fs))
	for i, f := range fs {
		xs[i] = xhpack.HeaderField{Name: f.Name, Value: f.Value, Sensitive: f.Sensitive}
	}
	return xs
}

func fromX(xs []xhpack.HeaderField) []Field {
	fs := make([]Field, len(xs))
	for i, x := range xs {
		fs[i] = Field{Name: x.Name, Value: x.Value, Sensitive: x.Sensitive}
	}
	return fs
}

// TestXNetDifferential has each side decode what the other encodes, on one
// long connection per seed, with table size changes along the way.
func TestXNetDifferential(t *testing.T) {
	sizes := []uint32{0, 31, 64, 256, 1000, 4096, 4096, 4096, 8192, 65536}
	for seed := range uint64(12) {
		g := newFieldGen(seed)
		ours, theirs := NewEncoder(), NewDecoder(DefaultTableSize)
		var buf bytes.Buffer
		xenc := xhpack.NewEncoder(&buf)
		xdec := xhpack.NewDecoder(DefaultTableSize, nil)
		if seed%3 == 0 {
			ours.SetMaxDynamicTableSizeLimit(65536)
			xenc.SetMaxDynamicTableSizeLimit(65536)
		}
		var got []Field
		for blk := range 150 {
			if g.rng.IntN(10) == 0 {
				// The peer's SETTINGS_HEADER_TABLE_SIZE changes, maybe
				// twice between two blocks. (Then through 0: x/net's
				// Decoder rejects a second size update unless the first
				// emptied the table; see TestXNetTwoSizeUpdates.)
				changes := []uint32{sizes[g.rng.IntN(len(sizes))]}
				if g.rng.IntN(2) == 0 {
					changes = []uint32{0, changes[0]}
				}
				for _, n := range changes {
					ours.SetMaxDynamicTableSize(n)
					xdec.SetAllowedMaxDynamicTableSize(n)
					xenc.SetMaxDynamicTableSize(n)
					theirs.SetMaxDynamicTableSize(n)
				}
			}
			fields := g.fields()

			// Ours to x/net.
			block := ours.Encode(nil, fields)
			xgot, err := xdec.DecodeFull(block)
			if err != nil {
				t.Fatalf("seed %d block %d: x/net cannot decode %x: %v", seed, blk, block, err)
			}
			if !sameFields(fromX(xgot), fields) {
				t.Fatalf("seed %d block %d: x/net decoded %q, want %q", seed, blk, fromX(xgot), fields)
			}

			// x/net to ours.
			buf.Reset()
			for _, f := range toX(fields) {
				if err := xenc.WriteField(f); err != nil {
					t.Fatal(err)
				}
			}
			got, err = theirs.Decode(got, buf.Bytes())
			if err != nil {
				t.Fatalf("seed %d block %d: cannot decode x/net's %x: %v", seed, blk, buf.Bytes(), err)
			}
			if !equalFields(got, fields) {
				t.Fatalf("seed %d block %d: decoded %q, want %q", seed, blk, got, fields)
			}
		}
	}
}

// TestXNetCompression compares the sizes of both encoders' output. On the
// benchmark sequences repeated, once warm, ours is as small as x/net's
// (before that, x/net wins a little: it indexes :path, etag and the like at
// once, where we wait for a value to come twice); on a browsing session
// with many distinct paths, ours is smaller (x/net's unique paths evict the
// cookie).
func TestXNetCompression(t *testing.T) {
	for _, set := range benchSets {
		var msgs [][]Field
		for range 4 { // a longer connection: the same messages again
			msgs = append(msgs, set.msgs...)
		}
		sum := func(blocks [][]byte) (total, last int) {
			for i, b := range blocks {
				total += len(b)
				if i >= len(blocks)-len(set.msgs) {
					last += len(b)
				}
			}
			return total, last
		}
		ours, oursLast := sum(h2kitBlocks(msgs))
		theirs, theirsLast := sum(xnetBlocks(msgs))
		t.Logf("%s: h2kit %d octets (last round %d), x/net %d (%d)", set.name, ours, oursLast, theirs, theirsLast)
		if oursLast > theirsLast {
			t.Errorf("%s: last round h2kit %d octets, x/net %d", set.name, oursLast, theirsLast)
		}
	}
	// The same on a long browsing session: unique paths do not evict the
	// cookie.
	e := NewEncoder()
	var buf bytes.Buffer
	xe := xhpack.NewEncoder(&buf)
	reqs := browserRequests()
	var ours, theirs int
	for i := range 300 {
		r := append([]Field(nil), reqs[i%3]...)
		for j := range r {
			if r[j].Name == ":path" {
				r[j].Value = "/assets/" + strings.Repeat("p", i%7) + "/file" + string(rune('a'+i%26)) + itoa(i%10) + ".js?v=" + itoa(i/10%10)
			}
		}
		ours += len(e.Encode(nil, r))
		for _, f := range toX(r) {
			xe.WriteField(f)
		}
	}
	theirs = buf.Len()
	t.Logf("300 browser requests: h2kit %d octets, x/net %d", ours, theirs)
	if ours > theirs {
		t.Errorf("300 browser requests: h2kit %d octets, x/net %d", ours, theirs)
	}
}

// TestXNetTwoSizeUpdates documents an interoperability quirk: RFC 7541,
// Section 4.2 requires the smallest size since the last block, then the
// final one, and our Decoder accepts that; golang.org/x/net's Decoder
// (v0.62.0) rejects the second update unless the first emptied the table.
func TestXNetTwoSizeUpdates(t *testing.T) {
	e, d := NewEncoder(), NewDecoder(DefaultTableSize)
	x := xhpack.NewDecoder(DefaultTableSize, nil)
	f := []Field{{Name: "x-a", Value: "1"}}
	for _, blk := range [][]byte{e.Encode(nil, f), func() []byte {
		e.SetMaxDynamicTableSize(1000)
		e.SetMaxDynamicTableSize(4096)
		return e.Encode(nil, f)
	}()} {
		if _, err := d.Decode(nil, blk); err != nil {
			t.Fatalf("Decode(%x): %v", blk, err)
		}
		if _, err := x.DecodeFull(blk); err != nil {
			t.Logf("x/net rejects %x: %v", blk, err)
		}
	}
}
