package hpack

import (
	"bytes"
	"strings"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// fuzzSeeds are header blocks to start from: the RFC examples' style,
// the benchmark sequences and a bomb.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	for _, set := range benchSets {
		seeds = append(seeds, bytes.Join(h2kitBlocks(set.msgs), nil))
		seeds = append(seeds, xnetBlocks(set.msgs)...)
	}
	seeds = append(seeds,
		[]byte{0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff},
		[]byte{0x20, 0x3f, 0xe1, 0x1f, 0x82},
		[]byte{0x10, 0x08, 'p', 'a', 's', 's', 'w', 'o', 'r', 'd', 0x06, 's', 'e', 'c', 'r', 'e', 't'},
		bombBlock(100, 50),
	)
	return seeds
}

// FuzzDecode feeds arbitrary input, as two header blocks, to the Decoder:
// it must not panic, must keep its table within bounds, and whenever it
// accepts a block, golang.org/x/net must accept it too and decode the same
// fields.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		for _, max := range []uint32{DefaultTableSize, 256} {
			d := NewDecoder(max)
			d.SetMaxHeaderListSize(1 << 16)
			d.SetFieldCheck(noLetterA)
			x := xhpack.NewDecoder(max, nil)
			cut := 0
			if len(data) > 0 {
				cut = int(split) % (len(data) + 1)
			}
			var fields []Field
			for _, block := range [][]byte{data[:cut], data[cut:]} {
				var err error
				fields, err = d.Decode(fields, block)
				if d.DynamicTableSize() > max || d.t.size > d.t.maxSize {
					t.Fatalf("table size %d above %d", d.DynamicTableSize(), d.t.maxSize)
				}
				if err != nil {
					if _, ok := err.(*DecodingError); !ok {
						t.Fatalf("error %T is not a *DecodingError", err)
					}
					break // the decoding contexts part ways
				}
				xfields, xerr := x.DecodeFull(block)
				if xerr != nil && leadingSizeUpdates(block) > 1 {
					// RFC 7541, Section 4.2 puts any number of size
					// updates at a block's start; x/net refuses a
					// second one while its table holds entries.
					break
				}
				if xerr != nil {
					t.Fatalf("h2kit decodes %x, x/net fails: %v", block, xerr)
				}
				if !equalFields(fields, fromX(xfields)) {
					t.Fatalf("h2kit decodes %x as %q, x/net as %q", block, fields, fromX(xfields))
				}
				passed := true
				for _, f := range fields {
					passed = passed && noLetterA(f)
				}
				if d.BlockPassed() != passed {
					t.Fatalf("%x: BlockPassed %v, the check says %v of %q", block, d.BlockPassed(), passed, fields)
				}
			}
		}
	})
}

// leadingSizeUpdates counts the dynamic table size updates block starts
// with.
func leadingSizeUpdates(block []byte) int {
	n, i := 0, 0
	for i < len(block) && block[i]&0xe0 == 0x20 {
		_, size, st := readInt(block[i:], 5)
		if st != intOK {
			break
		}
		n, i = n+1, i+size
	}
	return n
}

// FuzzRoundTrip encodes arbitrary fields (taken from data, separated by
// zero octets) in several blocks, with a table size from the input, and
// checks that the Decoder and golang.org/x/net give them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(":method\x00GET\x00:path\x00/index.html\x00cookie\x00a=b\x00x-custom\x00\xff\xfe"), uint16(4096), uint8(0))
	f.Add([]byte("authorization\x00secret\x00\x00\x00content-length\x00123"), uint16(100), uint8(3))
	f.Add([]byte("a\x00b"), uint16(0), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, tableSize uint16, flags uint8) {
		parts := bytes.Split(data, []byte{0})
		var fields []Field
		for i := 0; i+1 < len(parts); i += 2 {
			fields = append(fields, Field{Name: string(parts[i]), Value: string(parts[i+1]), Sensitive: flags>>(i/2%8)&1 != 0})
		}
		size := uint32(tableSize)
		e := NewEncoder()
		e.SetMaxDynamicTableSizeLimit(size)
		e.SetMaxDynamicTableSize(size)
		d := NewDecoder(DefaultTableSize)
		d.SetMaxDynamicTableSize(size)
		d.SetMaxStringLength(0)
		x := xhpack.NewDecoder(DefaultTableSize, nil)
		x.SetAllowedMaxDynamicTableSize(size)
		// a decodes the same blocks with DecodeAppend, into all.
		a := NewDecoder(DefaultTableSize)
		a.SetMaxDynamicTableSize(size)
		a.SetMaxStringLength(0)
		var got, all, want []Field
		// The fields three times, the second time backwards: adds,
		// references and evictions.
		lists := [][]Field{fields, reversed(fields), fields}
		for i, list := range lists {
			block := e.Encode(nil, list)
			var err error
			if got, err = d.Decode(got, block); err != nil {
				t.Fatalf("block %d %x: %v", i, block, err)
			}
			if all, err = a.DecodeAppend(all, block); err != nil {
				t.Fatalf("block %d %x: DecodeAppend: %v", i, block, err)
			}
			want = append(want, list...)
			if !sameFields(all, want) {
				t.Fatalf("block %d: DecodeAppend holds %q, want %q", i, all, want)
			}
			if !sameFields(got, list) {
				t.Fatalf("block %d: decoded %q, want %q", i, got, list)
			}
			xgot, err := x.DecodeFull(block)
			if err != nil || !sameFields(fromX(xgot), list) {
				t.Fatalf("block %d: x/net decoded %q, %v; want %q", i, fromX(xgot), err, list)
			}
			if e.DynamicTableSize() != d.DynamicTableSize() || e.DynamicTableLen() != d.DynamicTableLen() {
				t.Fatalf("block %d: tables differ", i)
			}
		}
	})
}

func reversed(fs []Field) []Field {
	r := make([]Field, len(fs))
	for i, f := range fs {
		r[len(fs)-1-i] = f
	}
	return r
}

// noLetterA is a field check for the tests: no 'a' in name or value.
func noLetterA(f Field) bool { return !strings.ContainsRune(f.Name+f.Value, 'a') }
