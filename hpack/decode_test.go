package hpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"maps"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeErrors has one case (or more) per kind of malformed or
// over-limit input.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*Decoder)
		block  string
		kind   error
		detail string // a substring of the message
	}{
		{"index overflow", nil, "ff ff ff ff ff 0f", ErrIntegerOverflow, "2^32-1"},
		{"index encoding too long", nil, "ff 80 80 80 80 80 00", ErrIntegerOverflow, "longer than"},
		{"string length overflow", nil, "00 7f ff ff ff ff 7f", ErrIntegerOverflow, "2^32-1"},
		{"size update overflow", nil, "3f ff ff ff ff 7f", ErrIntegerOverflow, ""},
		{"huffman EOS", nil, "00 84 ff ff ff ff 00", ErrInvalidHuffman, "EOS"},
		{"huffman EOS after a symbol", nil, "00 01 61 85 1f ff ff ff ff", ErrInvalidHuffman, "EOS"},
		{"huffman padding > 7 bits", nil, "00 82 1f ff 00", ErrInvalidHuffman, "longer than 7"},
		{"huffman padding of a whole octet", nil, "00 01 61 81 ff", ErrInvalidHuffman, "longer than 7"},
		{"huffman padding not ones", nil, "00 81 18 00", ErrInvalidHuffman, "not a prefix of EOS"},
		{"huffman padding not ones in value", nil, "04 81 1e", ErrInvalidHuffman, "not a prefix of EOS"},
		{"index 0", nil, "80", ErrInvalidIndex, "index 0"},
		{"index beyond static table", nil, "be", ErrInvalidIndex, "index 62"},
		{"index beyond dynamic table", nil, "40 01 61 01 62 bf", ErrInvalidIndex, "index 63"},
		{"literal name index beyond tables", nil, "7e 01 61", ErrInvalidIndex, "index 62"},
		{"never-indexed name index beyond tables", nil, "1f 2f 01 61", ErrInvalidIndex, "index 62"},
		{"size update after a field", nil, "82 20", ErrTableSizeUpdate, "not at the start"},
		{"size update above the maximum", nil, "3f e2 1f", ErrTableSizeUpdate, "above the maximum 4096"},
		{"size update above a lowered maximum", func(d *Decoder) { d.SetMaxDynamicTableSize(100) }, "3f 46", ErrTableSizeUpdate, "above the maximum 100"},
		{"missing size update after the maximum dropped", func(d *Decoder) { d.SetMaxDynamicTableSize(100) }, "82", ErrTableSizeUpdate, "missing"},
		{"truncated index", nil, "ff", ErrTruncated, "integer"},
		{"truncated index continuation", nil, "ff 80", ErrTruncated, "integer"},
		{"truncated literal: no name", nil, "40", ErrTruncated, "before a string"},
		{"truncated literal: no value", nil, "40 01 61", ErrTruncated, "before a string"},
		{"truncated name index", nil, "0f", ErrTruncated, "integer"},
		{"truncated string", nil, "00 05 61", ErrTruncated, "5 octets, only 1 left"},
		{"truncated string length", nil, "00 7f", ErrTruncated, "integer"},
		{"truncated size update", nil, "3f", ErrTruncated, "integer"},
		{"string too long", func(d *Decoder) { d.SetMaxStringLength(4) }, "00 05 68656c6c6f 00", ErrStringTooLong, "limit 4"},
		{"huffman string too long", func(d *Decoder) { d.SetMaxStringLength(4) }, "04 84 9c b4 50 7f", ErrStringTooLong, "limit 4"}, // :path "hello" in 4 octets of Huffman
		{"string too long by default", nil, "00 01 61 7f 82 7f" + strings.Repeat("61", 16385), ErrStringTooLong, "limit 16384"},
		{"header list too large", func(d *Decoder) { d.SetMaxHeaderListSize(40) }, "82 82", ErrHeaderListTooLarge, "larger than 40"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(DefaultTableSize)
			if tc.setup != nil {
				tc.setup(d)
			}
			_, err := d.Decode(nil, unhex(t, tc.block))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			var de *DecodingError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not a *DecodingError", err)
			}
			if !strings.Contains(err.Error(), tc.detail) || !strings.Contains(err.Error(), "offset") {
				t.Errorf("err = %q, want it to mention %q and an offset", err, tc.detail)
			}
		})
	}
}

// TestDecodeValid covers representations the RFC examples do not.
func TestDecodeValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block string
		want  []Field
	}{
		{"empty block", "", nil},
		{"size updates only", "20 3f e1 1f", nil},
		{"two size updates then a field", "20 3f e1 1f 82", []Field{{Name: ":method", Value: "GET"}}},
		{"empty name and value", "00 00 00", []Field{{}}},
		{"empty huffman value", "04 80", []Field{{Name: ":path"}}},
		{"never indexed", "1f 08 83 64 0e ff", []Field{{Name: "authorization", Value: "307", Sensitive: true}}},
		{"huffman with 3 bits of padding", "04 81 1f", []Field{{Name: ":path", Value: "a"}}},
		{"huffman with 7 bits of padding", "04 84 18 c6 31 ff", []Field{{Name: ":path", Value: "aaaaa"}}},
		{"huffman with 1 bit of padding", "04 82 1f f9", []Field{{Name: ":path", Value: "a?"}}},
		{"non-minimal integer", "0f 80 00 01 61", []Field{{Name: "accept-charset", Value: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(DefaultTableSize)
			got, err := d.Decode(nil, unhex(t, tc.block))
			if err != nil {
				t.Fatal(err)
			}
			if !equalFields(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDecodeRequiredSizeUpdate checks RFC 7541, Section 4.2: after our
// maximum drops below the table's, the next block must start with an
// update; after one, blocks need not.
func TestDecodeRequiredSizeUpdate(t *testing.T) {
	d := NewDecoder(DefaultTableSize)
	if _, err := d.Decode(nil, unhex(t, "40 01 61 01 62")); err != nil {
		t.Fatal(err)
	}
	d.SetMaxDynamicTableSize(8192) // raising needs no update
	if _, err := d.Decode(nil, unhex(t, "be")); err != nil {
		t.Fatal(err)
	}
	d.SetMaxDynamicTableSize(16)
	if _, err := d.Decode(nil, unhex(t, "be")); !errors.Is(err, ErrTableSizeUpdate) {
		t.Fatalf("err = %v, want ErrTableSizeUpdate", err)
	}
	if _, err := d.Decode(nil, unhex(t, "30 82")); err != nil { // update to 16 evicts the entry
		t.Fatal(err)
	}
	if d.DynamicTableLen() != 0 {
		t.Errorf("table has %d entries after shrinking to 16", d.DynamicTableLen())
	}
	if _, err := d.Decode(nil, unhex(t, "82")); err != nil {
		t.Fatal(err)
	}
}

// bombBlock returns a block that adds a large entry and references it n
// times.
func bombBlock(valueLen, n int) []byte {
	e := NewEncoder()
	e.indexAll = true
	block := e.Encode(nil, []Field{{Name: "x", Value: strings.Repeat("b", valueLen)}})
	return append(block, bytes.Repeat([]byte{0xbe}, n)...)
}

// TestHPACKBomb checks that a large entry referenced thousands of times
// costs neither memory nor copies once the header list limit is reached.
func TestHPACKBomb(t *testing.T) {
	block := bombBlock(4000, 20000)
	d := NewDecoder(DefaultTableSize)
	d.SetMaxHeaderListSize(16 << 10)
	var fields []Field
	var err error
	fields, err = d.Decode(fields, block) // warm up
	if !errors.Is(err, ErrHeaderListTooLarge) {
		t.Fatalf("err = %v, want ErrHeaderListTooLarge", err)
	}
	if len(fields) > 4 {
		t.Errorf("stored %d fields past the limit", len(fields))
	}
	if len(d.buf) > 1<<13 {
		t.Errorf("decode buffer grew to %d octets", len(d.buf))
	}
	allocs := testing.AllocsPerRun(20, func() {
		fields, err = d.Decode(fields, block)
	})
	if allocs > 5 { // the error only
		t.Errorf("%v allocations per bomb", allocs)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20 {
		fields, _ = d.Decode(fields, block)
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / 20; perRun > 1024 {
		t.Errorf("%d bytes allocated per bomb", perRun)
	}
	// The context is still in sync: the entry is there.
	if d.DynamicTableLen() != 1 || d.DynamicTableEntry(1).Value != strings.Repeat("b", 4000) {
		t.Errorf("dynamic table lost its entry")
	}
	// Without a limit, the references alias the table: no copies either.
	d.SetMaxHeaderListSize(0)
	fields, err = d.Decode(fields, block)
	if err != nil || len(fields) != 20001 {
		t.Fatalf("unlimited: %d fields, %v", len(fields), err)
	}
	if len(d.buf) > 1<<13 {
		t.Errorf("unlimited: decode buffer grew to %d octets", len(d.buf))
	}
}

// TestHeaderListLimitKeepsSync checks that the table stays in sync when a
// block is over the limit: literals with indexing past the limit are still
// added.
func TestHeaderListLimitKeepsSync(t *testing.T) {
	e := NewEncoder()
	e.indexAll = true
	req := []Field{{Name: "a", Value: strings.Repeat("1", 100)}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}, {Name: ":path", Value: "/x"}}
	b1 := e.Encode(nil, req)
	b2 := e.Encode(nil, req)
	d := NewDecoder(DefaultTableSize)
	d.SetMaxHeaderListSize(140)
	got, err := d.Decode(nil, b1)
	if !errors.Is(err, ErrHeaderListTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 1 || got[0] != req[0] {
		t.Errorf("got %v, want the one field before the limit", got)
	}
	if d.DynamicTableLen() != 4 || d.DynamicTableSize() != e.DynamicTableSize() {
		t.Fatalf("decoder table %d entries size %d, encoder %d size %d", d.DynamicTableLen(), d.DynamicTableSize(), e.DynamicTableLen(), e.DynamicTableSize())
	}
	d.SetMaxHeaderListSize(0)
	got, err = d.Decode(got, b2)
	if err != nil || !equalFields(got, req) {
		t.Fatalf("second block: %v, %v", got, err)
	}
}

// TestDecodeAliasing checks that fields referencing entries that the same
// block then evicts and overwrites keep their values, and that fields stay
// valid until the next Decode.
func TestDecodeAliasing(t *testing.T) {
	e := NewEncoder()
	e.indexAll = true
	e.SetMaxDynamicTableSize(300)
	d := NewDecoder(300)
	var fields []Field
	for i := range 200 {
		// Each block references the previous entries, then adds large
		// ones that wrap the ring over them.
		var req []Field
		for j := range 4 {
			req = append(req, Field{Name: "k" + itoa(j), Value: strings.Repeat(string(rune('a'+(i+j)%26)), 20+(i*7+j*13)%90)})
		}
		req = append(req, req[0], req[1])
		block := e.Encode(nil, req)
		var err error
		fields, err = d.Decode(fields, block)
		if err != nil {
			t.Fatal(err)
		}
		if !equalFields(fields, req) {
			t.Fatalf("block %d: got %v, want %v", i, fields, req)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestDecodeAllocs pins zero allocations per decoded block in steady state,
// for blocks that add entries and blocks that only reference them.
func TestDecodeAllocs(t *testing.T) {
	for _, set := range benchSets {
		t.Run(set.name, func(t *testing.T) {
			blocks := h2kitBlocks(set.msgs)
			d := NewDecoder(DefaultTableSize)
			var fields []Field
			run := func() {
				for _, b := range blocks {
					var err error
					if fields, err = d.Decode(fields, b); err != nil {
						t.Fatal(err)
					}
				}
			}
			run()
			if n := testing.AllocsPerRun(100, run); n != 0 {
				t.Errorf("%v allocations per %d blocks", n, len(blocks))
			}
		})
	}
}

// TestDecodeErrorOffsets checks that errors point at what is wrong.
func TestDecodeErrorOffsets(t *testing.T) {
	for _, tc := range []struct {
		block string
		off   int
	}{
		{"82 82 be", 2},                         // the bad index
		{"82 00 01 61 85 1f ff ff ff ff", 5},    // EOS starts in the value's first octet
		{"82 00 01 61 85 00 ff ff ff ff", 6},    // "0a" (10 bits), then EOS
		{"82 04 82 1f ff", 3},                   // the padding starts in the first octet
		{"82 04 05 61", 2},                      // the truncated string's length
		{"82 86 20", 2},                         // the misplaced size update
		{"82 0f 80 80 80 80 80 80 00 01 61", 1}, // the overlong integer
	} {
		_, err := NewDecoder(DefaultTableSize).Decode(nil, unhex(t, tc.block))
		var de *DecodingError
		if !errors.As(err, &de) || de.Offset != tc.off {
			t.Errorf("Decode(%s) = %v, want an error at offset %d", tc.block, err, tc.off)
		}
	}
}

// TestDecodeAppendKeepsStrings decodes many blocks into one slice with
// DecodeAppend, through a small table that wraps its ring again and
// again, from entries added, referenced by index (their strings alias
// the table) and evicted: every field of every block still reads as it
// was sent, and after ReleaseStrings the next block decodes as usual.
func TestDecodeAppendKeepsStrings(t *testing.T) {
	for _, size := range []uint32{0, 64, 200, DefaultTableSize} {
		e := NewEncoder()
		e.SetMaxDynamicTableSizeLimit(size)
		e.SetMaxDynamicTableSize(size)
		d := NewDecoder(size)
		var all, want []Field
		for i := range 300 {
			list := []Field{
				{Name: ":method", Value: "GET"},
				{Name: "x-fixed", Value: "the same value every time"},
				{Name: "x-new", Value: "value number " + strconv.Itoa(i)},
				{Name: "x-every-" + strconv.Itoa(i%7), Value: strings.Repeat(string(rune('a'+i%26)), i%40)},
				{Name: "cookie", Value: "c=" + strconv.Itoa(i%3), Sensitive: i%2 == 0},
			}
			block := e.Encode(nil, list)
			var err error
			if all, err = d.DecodeAppend(all, block); err != nil {
				t.Fatalf("size %d, block %d: %v", size, i, err)
			}
			want = append(want, list...)
		}
		if !sameFields(all, want) {
			t.Fatalf("size %d: fields differ after DecodeAppend", size)
		}
		d.ReleaseStrings()
		list := []Field{{Name: "x-fixed", Value: "the same value every time"}, {Name: "x-last", Value: "last"}}
		got, err := d.Decode(nil, e.Encode(nil, list))
		if err != nil || !sameFields(got, list) {
			t.Fatalf("size %d: after ReleaseStrings decoded %q, %v", size, got, err)
		}
	}
}

// TestFieldCheckMemo: the field check is asked once per table entry,
// however often the peer refers to it, never for the static table after
// SetFieldCheck, and for each literal not indexed; BlockPassed follows
// its verdicts, block by block; a new check forgets the old verdicts.
func TestFieldCheckMemo(t *testing.T) {
	e := NewEncoder()
	d := NewDecoder(DefaultTableSize)
	asked := map[string]int{}
	d.SetFieldCheck(func(f Field) bool {
		asked[f.Name+": "+f.Value]++
		return !strings.Contains(f.Value, "bad")
	})
	clear(asked) // the static table's verdicts
	good := []Field{{Name: ":method", Value: "GET"}, {Name: "x-good", Value: "fine"},
		{Name: "cookie", Value: "c=1", Sensitive: true}}
	bad := []Field{{Name: "x-good", Value: "fine"}, {Name: "x-bad", Value: "bad value"}}
	for i, step := range []struct {
		fields []Field
		passed bool
	}{{good, true}, {good, true}, {bad, false}, {good, true}, {bad, false}} {
		got, err := d.Decode(nil, e.Encode(nil, step.fields))
		if err != nil || !sameFields(got, step.fields) {
			t.Fatalf("block %d: %q, %v", i, got, err)
		}
		if d.BlockPassed() != step.passed {
			t.Fatalf("block %d: BlockPassed %v, want %v", i, d.BlockPassed(), step.passed)
		}
	}
	// x-good and x-bad once each (then indexed), the never-indexed
	// cookie each of the three times it came, :method never (static).
	want := map[string]int{"x-good: fine": 1, "x-bad: bad value": 1, "cookie: c=1": 3}
	if !maps.Equal(asked, want) {
		t.Fatalf("check asked %v, want %v", asked, want)
	}
	d.SetFieldCheck(func(f Field) bool { return f.Name != "x-good" })
	if _, err := d.Decode(nil, e.Encode(nil, good)); err != nil || d.BlockPassed() {
		t.Fatalf("a new check: BlockPassed %v, %v", d.BlockPassed(), err)
	}
	d.SetFieldCheck(nil)
	if _, err := d.Decode(nil, e.Encode(nil, bad[:1])); err != nil || d.BlockPassed() {
		t.Fatalf("without a check: BlockPassed %v, %v", d.BlockPassed(), err)
	}
}
