package hpack

import (
	"errors"
	"testing"
)

// A block decoded again as it was (Decoder.rep) gives the fields a full
// decoding gives, whose strings outlive later blocks, and never when the
// table, a limit or the check changed what it says.
func TestDecodeRepeatedBlock(t *testing.T) {
	// :status 200 (static 8), content-length: 13 (name static 28, without
	// indexing), and the newest dynamic entry (62).
	repeated := []byte{0x88, 0x0f, 0x0d, 0x02, '1', '3', 0xbe}
	insert := func(v string) []byte { // x-v: v, with incremental indexing
		return append([]byte{0x40, 3, 'x', '-', 'v', byte(len(v))}, v...)
	}
	d := NewDecoder(DefaultTableSize)
	d.SetFieldCheck(func(f Field) bool { return f.Value != "bad" })
	var fields []Field
	decode := func(block []byte) []Field {
		t.Helper()
		var err error
		if fields, err = d.Decode(fields, block); err != nil {
			t.Fatal(err)
		}
		return fields
	}
	want := func(got []Field, v string) {
		t.Helper()
		w := []Field{{Name: ":status", Value: "200"}, {Name: "content-length", Value: "13"}, {Name: "x-v", Value: v}}
		if !equalFields(got, w) {
			t.Fatalf("got %v, want %v", got, w)
		}
	}
	decode(insert("one"))
	for range 3 {
		want(decode(repeated), "one")
	}
	if d.rep == nil || d.rep.hits == 0 {
		t.Fatal("the repeated block was decoded in full every time")
	}
	kept := append([]Field(nil), fields...)
	// Other blocks reuse the decoder's buffers: the kept strings stay.
	decode([]byte{0x0f, 0x0d, 0x02, 'x', 'x'})
	decode([]byte{0x00, 2, 'a', 'b', 2, 'c', 'd'})
	want(kept, "one")

	// An insertion changes what index 62 is.
	decode(insert("two"))
	want(decode(repeated), "two")
	want(decode(repeated), "two")

	// The check's verdict follows the check.
	if !d.BlockPassed() {
		t.Fatal("block did not pass")
	}
	decode(insert("bad"))
	want(decode(repeated), "bad")
	want(decode(repeated), "bad")
	if d.BlockPassed() {
		t.Fatal("a field failing the check passed")
	}
	d.SetFieldCheck(nil)
	want(decode(repeated), "bad")
	if d.BlockPassed() {
		t.Fatal("BlockPassed without a check")
	}

	// A lower list limit applies to a repeated block too.
	d.SetMaxHeaderListSize(40)
	if _, err := d.Decode(nil, repeated); !errors.Is(err, ErrHeaderListTooLarge) {
		t.Fatalf("over the list limit: %v", err)
	}
	d.SetMaxHeaderListSize(0)
	want(decode(repeated), "bad")

	// After the maximum table size dropped, a block must start with a
	// size update (RFC 7541, Section 4.2), repeated or not.
	d.SetMaxDynamicTableSize(100)
	if _, err := d.Decode(nil, repeated); !errors.Is(err, ErrTableSizeUpdate) {
		t.Fatalf("no size update after the maximum dropped: %v", err)
	}
}

// A block that repeats with insertions in between and decodes to the
// same fields allocates nothing (the kept strings serve it); one that
// repeats once at a time, to other fields each time, rarely.
func TestDecodeRepeatedBlockAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals string // the values of x, one a round
		refs int    // blocks referring to it a round
		max  float64
	}{
		{"same fields", "a", 2, 0},
		{"other fields, no repeat", "ab", 1, 0.15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(DefaultTableSize)
			var fields []Field
			rounds := make([][][]byte, len(tc.vals))
			for i := range rounds {
				rounds[i] = [][]byte{{0x40, 1, 'x', 1, tc.vals[i]}}
				for range tc.refs {
					rounds[i] = append(rounds[i], []byte{0x88, 0xbe})
				}
			}
			n := 0
			run := func() {
				n++
				for _, b := range rounds[n%len(tc.vals)] {
					var err error
					if fields, err = d.Decode(fields, b); err != nil {
						t.Fatal(err)
					}
					if b[0] == 0x88 && (len(fields) != 2 || fields[1].Value != tc.vals[n%len(tc.vals):][:1]) {
						t.Fatalf("round %d: %v", n, fields)
					}
				}
			}
			for range 20 {
				run()
			}
			if a := testing.AllocsPerRun(200, run); a > tc.max {
				t.Errorf("%v allocations a round, want at most %v", a, tc.max)
			}
		})
	}
}

// Repeated is the same nonzero value for blocks that decode to the kept
// fields, 0 for others, and new when the fields or the check's verdict
// may differ.
func TestDecodeRepeatedID(t *testing.T) {
	d := NewDecoder(DefaultTableSize)
	d.SetFieldCheck(func(f Field) bool { return f.Value != "bad" })
	a := []byte{0x88, 0x0f, 0x0d, 0x02, '1', '3'}
	b := []byte{0x88, 0x0f, 0x0d, 0x02, '1', '4'}
	ids := func(blocks ...[]byte) (out []uint64) {
		for _, bl := range blocks {
			if _, err := d.Decode(nil, bl); err != nil {
				t.Fatal(err)
			}
			out = append(out, d.Repeated())
		}
		return out
	}
	got := ids(a, a, a, a)
	if got[0] != 0 || got[1] == 0 || got[2] != got[1] || got[3] != got[1] {
		t.Fatalf("Repeated for a block four times: %v", got)
	}
	first := got[1]
	got = ids(b, b, b)
	if got[0] != 0 || got[1] == 0 || got[1] == first || got[2] != got[1] {
		t.Fatalf("Repeated for another block: %v (the first one's %d)", got, first)
	}
	// A new check: the kept fields pass differently, under a new value.
	bID := got[1]
	d.SetFieldCheck(nil)
	if got := ids(b, b); got[0] == 0 || got[0] == bID || got[1] != got[0] || d.BlockPassed() {
		t.Fatalf("after the check changed: Repeated %v (before %d), BlockPassed %v", got, bID, d.BlockPassed())
	}
}
