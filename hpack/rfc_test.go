package hpack

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rfcExample is one example of RFC 7541, Appendix C.2 to C.6, as parsed from
// testdata/rfc7541.txt.
type rfcExample struct {
	section string  // "C.3.2"
	fields  []Field // "Header list to encode"
	wire    []byte  // "Hex dump of encoded data"
	table   []Field // "Dynamic Table (after decoding)", newest first
	size    uint32  // "Table size"
}

var (
	rfcSection  = regexp.MustCompile(`^Appendix (C\.[2-6]\.\d)\.`)
	rfcHexLine  = regexp.MustCompile(`^     ((?:[0-9a-f]{2,4} ?)+)\s*\|`)
	rfcTableRow = regexp.MustCompile(`^     \[\s*(\d+)\] \(s =\s*(\d+)\) (.*)$`)
	rfcSizeRow  = regexp.MustCompile(`^\s+Table size:\s*(\d+)$`)
)

// parseRFCExamples reads the examples of Appendix C.2 to C.6.
func parseRFCExamples(t *testing.T) []*rfcExample {
	t.Helper()
	text, err := os.ReadFile("testdata/rfc7541.txt")
	if err != nil {
		t.Fatal(err)
	}
	var exs []*rfcExample
	var ex *rfcExample
	var sizes []uint32 // the (s = N) of the table rows, to check
	state := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if m := rfcSection.FindStringSubmatch(line); m != nil {
			ex = &rfcExample{section: m[1]}
			exs = append(exs, ex)
			state = ""
			continue
		}
		if strings.HasPrefix(line, "Appendix D") {
			break
		}
		if ex == nil {
			continue
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "Header list to encode:":
			state = "fields"
			continue
		case trimmed == "Hex dump of encoded data:":
			state = "hex"
			continue
		case strings.HasPrefix(trimmed, "Dynamic Table (after decoding):"),
			strings.HasPrefix(trimmed, "Dynamic table (after decoding):"):
			state = "table"
			continue
		case trimmed == "Decoding process:", trimmed == "Decoded header list:":
			state = ""
			continue
		}
		switch state {
		case "fields":
			if trimmed != "" {
				ex.fields = append(ex.fields, splitField(t, trimmed))
			}
		case "hex":
			if m := rfcHexLine.FindStringSubmatch(line); m != nil {
				b, err := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
				if err != nil {
					t.Fatalf("%s: %v", ex.section, err)
				}
				ex.wire = append(ex.wire, b...)
			}
		case "table":
			if m := rfcTableRow.FindStringSubmatch(line); m != nil {
				ex.table = append(ex.table, splitField(t, m[3]))
				s, _ := strconv.Atoi(m[2])
				sizes = append(sizes, uint32(s))
			} else if m := rfcSizeRow.FindStringSubmatch(line); m != nil {
				s, _ := strconv.Atoi(m[1])
				ex.size = uint32(s)
				for i, f := range ex.table {
					if f.Size() != sizes[i] {
						t.Fatalf("%s: entry %d %q has size %d, RFC says %d", ex.section, i+1, f, f.Size(), sizes[i])
					}
				}
				sizes = sizes[:0]
				state = ""
			} else if trimmed != "" && len(ex.table) > 0 {
				// A wrapped value: the RFC breaks lines at a space.
				last := &ex.table[len(ex.table)-1]
				last.Value += " " + trimmed
			}
		}
	}
	if len(exs) != 16 {
		t.Fatalf("parsed %d examples of Appendix C.2 to C.6, want 16", len(exs))
	}
	for _, ex := range exs {
		if len(ex.fields) == 0 || len(ex.wire) == 0 {
			t.Fatalf("%s: parsed %d fields and %d octets", ex.section, len(ex.fields), len(ex.wire))
		}
	}
	return exs
}

// splitField splits "name: value"; the name may start with ':'.
func splitField(t *testing.T, s string) Field {
	i := strings.Index(s[1:], ": ")
	if i < 0 {
		t.Fatalf("no ': ' in %q", s)
	}
	return Field{Name: s[:i+1], Value: s[i+3:]}
}

// TestAppendixC encodes and decodes every example of RFC 7541, Appendix C.2
// to C.6, byte for byte, checking the dynamic table after each block.
func TestAppendixC(t *testing.T) {
	exs := parseRFCExamples(t)
	var enc *Encoder
	var dec *Decoder
	for _, ex := range exs {
		series := ex.section[:3] // "C.3"
		first := strings.HasSuffix(ex.section, ".1") || series == "C.2"
		if first {
			enc, dec = NewEncoder(), NewDecoder(DefaultTableSize)
			enc.indexAll = true
			enc.huffman = huffNever
			switch series {
			case "C.4", "C.6":
				enc.huffman = huffAlways // the RFC uses it even where it is not shorter ("307")
			case "C.5":
				enc.t.setMaxSize(256)
				dec = NewDecoder(256)
			}
			if series == "C.6" {
				enc.t.setMaxSize(256)
				dec = NewDecoder(256)
			}
		}
		fields := ex.fields
		switch ex.section {
		case "C.2.2":
			enc.indexAll = false // a :path seen once is not indexed
		case "C.2.3":
			fields = []Field{{Name: "password", Value: "secret", Sensitive: true}}
		}
		t.Run(ex.section, func(t *testing.T) {
			got := enc.Encode(nil, fields)
			if !bytes.Equal(got, ex.wire) {
				t.Errorf("encoded\n%x, want\n%x", got, ex.wire)
			}
			checkTable(t, "encoder", enc.t.len(), enc.DynamicTableSize(), enc.t.entry, ex)

			dfields, err := dec.Decode(nil, ex.wire)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !equalFields(dfields, fields) {
				t.Errorf("decoded %v, want %v", dfields, fields)
			}
			checkTable(t, "decoder", dec.DynamicTableLen(), dec.DynamicTableSize(), dec.DynamicTableEntry, ex)
		})
	}
}

func checkTable(t *testing.T, who string, n int, size uint32, entry func(int) Field, ex *rfcExample) {
	t.Helper()
	if size != ex.size || n != len(ex.table) {
		t.Errorf("%s table: %d entries of size %d, want %d of size %d", who, n, size, len(ex.table), ex.size)
		return
	}
	for i, want := range ex.table {
		if got := entry(i + 1); got != want {
			t.Errorf("%s table entry %d = %q, want %q", who, i+1, got, want)
		}
	}
}

func equalFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAppendixC1 checks the integer examples of RFC 7541, Appendix C.1.
func TestAppendixC1(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  byte
		prefix uint8
		v      uint64
		want   []byte
	}{
		{"C.1.1 10 with a 5-bit prefix", 0xe0, 5, 10, []byte{0xea}},
		{"C.1.2 1337 with a 5-bit prefix", 0xe0, 5, 1337, []byte{0xff, 0x9a, 0x0a}},
		{"C.1.3 42 at an octet boundary", 0, 8, 42, []byte{0x2a}},
	} {
		got := AppendInt(nil, tc.first, tc.prefix, tc.v)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: AppendInt = %x, want %x", tc.name, got, tc.want)
		}
		v, n, err := ReadInt(tc.want, tc.prefix)
		if err != nil || v != tc.v || n != len(tc.want) {
			t.Errorf("%s: ReadInt = %d, %d, %v; want %d, %d, nil", tc.name, v, n, err, tc.v, len(tc.want))
		}
	}
}
