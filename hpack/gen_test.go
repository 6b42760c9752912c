package hpack

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesCurrent runs the generator (go run gen.go) into a
// temporary directory and requires its output to match the checked-in
// files byte for byte.
func TestGeneratedFilesCurrent(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "run", "gen.go", "-out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}
	for _, name := range []string{"static_table.go", "huffman_table.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what gen.go generates: run go generate", name)
		}
		if !bytes.HasPrefix(got, []byte("// Code generated ")) || !bytes.Contains(got, []byte("DO NOT EDIT.")) {
			t.Errorf("%s lacks the generated-code header", name)
		}
	}
}

// TestStaticTable spot-checks the generated static table and its lookup.
func TestStaticTable(t *testing.T) {
	for _, tc := range []struct {
		i           int
		name, value string
	}{{1, ":authority", ""}, {2, ":method", "GET"}, {16, "accept-encoding", "gzip, deflate"}, {61, "www-authenticate", ""}} {
		if f := staticTable[tc.i]; f.Name != tc.name || f.Value != tc.value {
			t.Errorf("staticTable[%d] = %q", tc.i, f)
		}
	}
	for i := 1; i <= staticTableLen; i++ {
		f := staticTable[i]
		pair, name := staticLookup(f.Name, f.Value)
		if pair != uint8(i) || staticTable[name].Name != f.Name || name > pair {
			t.Errorf("staticLookup(%q) = %d, %d; want %d and the first index of the name", f, pair, name, i)
		}
	}
	if pair, name := staticLookup(":status", "201"); pair != 0 || name != 8 {
		t.Errorf("staticLookup(:status: 201) = %d, %d", pair, name)
	}
	if pair, name := staticLookup("x-custom", ""); pair != 0 || name != 0 {
		t.Errorf("staticLookup(x-custom) = %d, %d", pair, name)
	}
}

// TestRFCCopy checks that testdata/rfc7541.txt, which the generator and
// the Appendix C tests read, is the project's reference copy of the RFC
// when that is around (it is not in a clean clone).
func TestRFCCopy(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "shared", "rfc", "rfc7541-hpack.txt"))
	if err != nil {
		t.Skip("no reference copy:", err)
	}
	ours, err := os.ReadFile(filepath.Join("testdata", "rfc7541.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, ref) {
		t.Error("testdata/rfc7541.txt differs from ../../shared/rfc/rfc7541-hpack.txt")
	}
}
