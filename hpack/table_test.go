package hpack

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// modelTable is the dynamic table as RFC 7541, Section 2.3.2 describes it:
// a slice, newest first.
type modelTable struct {
	ents    []Field
	maxSize uint32
}

func (m *modelTable) size() (n uint32) {
	for _, f := range m.ents {
		n += f.Size()
	}
	return n
}

func (m *modelTable) evictTo(max uint32) {
	for m.size() > max {
		m.ents = m.ents[:len(m.ents)-1]
	}
}

func (m *modelTable) setMaxSize(n uint32) { m.maxSize = n; m.evictTo(n) }

func (m *modelTable) add(f Field) {
	if f.Size() > m.maxSize {
		m.ents = nil
		return
	}
	m.evictTo(m.maxSize - f.Size())
	m.ents = append([]Field{f}, m.ents...)
}

// TestDynTableModel runs random insertions and size changes on dynTable and
// on the model, with the encoder's index, and compares them after each step.
func TestDynTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seed := uint64(42)
	for round := 0; round < 20; round++ {
		var tab dynTable
		tab.indexed = true
		tab.growEnts()
		m := modelTable{}
		max := uint32(rng.IntN(600))
		tab.setMaxSize(max)
		m.setMaxSize(max)
		names := []string{"", "a", "name", "x-long-name-" + strings.Repeat("n", rng.IntN(100))}
		for step := 0; step < 2000; step++ {
			switch r := rng.IntN(100); {
			case r < 3:
				max = uint32(rng.IntN(800))
				tab.setMaxSize(max)
				m.setMaxSize(max)
			default:
				f := Field{Name: names[rng.IntN(len(names))], Value: strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(250))}
				if rng.IntN(10) == 0 {
					f.Value = ""
				}
				nh := strHash(seed, f.Name)
				ph := nh ^ strHash(seed+1, f.Value)
				tab.add(f.Name, f.Value, nh, ph)
				m.add(f)
			}
			if tab.len() != len(m.ents) || tab.size != m.size() {
				t.Fatalf("round %d step %d: %d entries of size %d, model %d of size %d",
					round, step, tab.len(), tab.size, len(m.ents), m.size())
			}
			for i, want := range m.ents {
				if got := tab.entry(i + 1); got != want {
					t.Fatalf("round %d step %d: entry %d = %q, want %q", round, step, i+1, got, want)
				}
			}
			// Lookups find the newest matching entry.
			if len(m.ents) > 0 {
				f := m.ents[rng.IntN(len(m.ents))]
				nh := strHash(seed, f.Name)
				ph := nh ^ strHash(seed+1, f.Value)
				wantPair, wantName := 0, 0
				for i, g := range m.ents {
					if wantPair == 0 && g == f {
						wantPair = i + 1
					}
					if wantName == 0 && g.Name == f.Name {
						wantName = i + 1
					}
				}
				if got := tab.findPair(f.Name, f.Value, ph); got != uint64(wantPair) {
					t.Fatalf("findPair(%q) = %d, want %d", f, got, wantPair)
				}
				if got := tab.findName(f.Name, nh); got != uint64(wantName) {
					t.Fatalf("findName(%q) = %d, want %d", f.Name, got, wantName)
				}
			}
			if tab.findPair("absent", "", 12345) != 0 || tab.findName("absent", 12345) != 0 {
				t.Fatal("found an absent field")
			}
			if c := uint64(len(tab.data)); c > 0 && c > 2*uint64(nextPow2(max))+256 && c > 2*uint64(nextPow2(800)) {
				t.Fatalf("data ring grew to %d for max size %d", c, max)
			}
		}
	}
}

func nextPow2(n uint32) uint32 {
	p := uint32(1)
	for p < n {
		p *= 2
	}
	return p
}

// TestDynTableSteadyStateAllocs checks that churning the table allocates
// nothing once the rings have grown.
func TestDynTableSteadyStateAllocs(t *testing.T) {
	var tab dynTable
	tab.indexed = true
	tab.growEnts()
	tab.setMaxSize(DefaultTableSize)
	vals := []string{strings.Repeat("v", 500), "short", strings.Repeat("w", 1500), "", strings.Repeat("x", 77)}
	i := 0
	step := func() {
		v := vals[i%len(vals)]
		tab.add("name", v, uint64(i), uint64(i))
		i++
	}
	for range 1000 {
		step()
	}
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Errorf("add allocates %v times per call in steady state", n)
	}
}

func TestFieldSize(t *testing.T) {
	f := Field{Name: "custom-key", Value: "custom-header"}
	if f.Size() != 55 {
		t.Errorf("Size = %d, want 55 (RFC 7541, Appendix C.2.1)", f.Size())
	}
	if !(Field{Name: ":path"}).IsPseudo() || (Field{Name: "path"}).IsPseudo() || (Field{}).IsPseudo() {
		t.Error("IsPseudo is wrong")
	}
	if s := (Field{Name: "a", Value: "b", Sensitive: true}).String(); s != "a: <sensitive>" {
		t.Errorf("String = %q", s)
	}
}

// TestStrHash checks that the index hash spreads similar strings: no
// collision among many short and long ones differing in their ends.
func TestStrHash(t *testing.T) {
	seen := map[uint64]string{}
	add := func(s string) {
		h := strHash(7, s)
		if o, ok := seen[h]; ok && o != s {
			t.Fatalf("strHash(%q) == strHash(%q)", s, o)
		}
		seen[h] = s
	}
	for n := range 40 {
		for c := range 256 {
			b := []byte(strings.Repeat("a", n) + string(rune(c%128)))
			add(string(b))
			if n > 0 {
				b[0] = byte(c)
				add(string(b))
			}
		}
	}
	if strHash(1, "x") == strHash(2, "x") {
		t.Error("the seed does not change the hash")
	}
}
