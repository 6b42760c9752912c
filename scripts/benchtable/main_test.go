package main

import (
	"math"
	"strings"
	"testing"
)

// sample is go test -bench output for two packages with -count=3 (frame
// with -count=2 lines only), MB/s columns, GOMAXPROCS suffixes and noise.
const sample = `goos: linux
goarch: amd64
pkg: github.com/h2kit/h2kit/hpack
cpu: Intel(R) Xeon(R) Processor @ 2.50GHz
BenchmarkDecode/small/h2kit-2         	 1000000	      1000 ns/op	  97.33 MB/s	     128 B/op	       3 allocs/op
BenchmarkDecode/small/h2kit-2         	 1000000	      1200 ns/op	  90.00 MB/s	     128 B/op	       3 allocs/op
BenchmarkDecode/small/h2kit-2         	 1000000	      1100 ns/op	  92.00 MB/s	     128 B/op	       3 allocs/op
BenchmarkDecode/small/xnet-2          	  500000	      2200 ns/op	  45.00 MB/s	     512 B/op	      10 allocs/op
BenchmarkDecode/small/xnet-2          	  500000	      2000 ns/op	  45.00 MB/s	     512 B/op	      10 allocs/op
BenchmarkDecode/small/xnet-2          	  500000	      2400 ns/op	  45.00 MB/s	     512 B/op	      10 allocs/op
BenchmarkDecode/size-1024/big/h2kit-2 	   10000	    100000 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode/size-1024/big/xnet-2  	   10000	     50000 ns/op	    4096 B/op	      20 allocs/op
BenchmarkHuffman-2                    	 3000000	       400 ns/op
BenchmarkOnlyOurs/x/h2kit-2           	 3000000	       400 ns/op	       0 B/op	       0 allocs/op
PASS
ok  	github.com/h2kit/h2kit/hpack	12.345s
goos: linux
goarch: amd64
pkg: github.com/h2kit/h2kit/frame
cpu: Intel(R) Xeon(R) Processor @ 2.50GHz
BenchmarkParse/h2kit  	 5000000	       9.5 ns/op	       0 B/op	       0 allocs/op
--- BENCH: BenchmarkParse/h2kit
    bench_test.go:12: some log line
BenchmarkParse/h2kit  	 5000000	       10.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkParse/xnet   	 1000000	       30 ns/op	      16 B/op	       1 allocs/op
BenchmarkParse/xnet   	 1000000	       40 ns/op	      16 B/op	       1 allocs/op
BenchmarkDecode/small/h2kit-2         	 1000000	      10 ns/op
BenchmarkDecode/small/xnet-2          	 1000000	      20 ns/op
PASS
ok  	github.com/h2kit/h2kit/frame	3.210s
`

func TestParseAndPair(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if res.GOOS != "linux" || res.GOARCH != "amd64" || res.CPU != "Intel(R) Xeon(R) Processor @ 2.50GHz" {
		t.Errorf("header = %q %q %q", res.GOOS, res.GOARCH, res.CPU)
	}
	if got := res.maxRuns(); got != 3 {
		t.Errorf("maxRuns = %d, want 3", got)
	}
	if got, want := len(res.Benchmarks), 10; got != want {
		for _, b := range res.Benchmarks {
			t.Logf("%s %s %d runs", b.Pkg, b.Name, len(b.Runs))
		}
		t.Fatalf("%d benchmarks, want %d", got, want)
	}

	rows, unpaired := pair(res.Benchmarks)
	if len(unpaired) != 1 || unpaired[0] != "github.com/h2kit/h2kit/hpack BenchmarkOnlyOurs/x/h2kit" {
		t.Errorf("unpaired = %q", unpaired)
	}
	nan := math.NaN()
	want := []Row{
		{"github.com/h2kit/h2kit/hpack", "BenchmarkDecode", "small", Stats{1100, 128, 3}, Stats{2200, 512, 10}},
		{"github.com/h2kit/h2kit/hpack", "BenchmarkDecode", "size-1024/big", Stats{100000, 0, 0}, Stats{50000, 4096, 20}},
		{"github.com/h2kit/h2kit/frame", "BenchmarkParse", "", Stats{10, 0, 0}, Stats{35, 16, 1}},
		{"github.com/h2kit/h2kit/frame", "BenchmarkDecode", "small", Stats{10, nan, nan}, Stats{20, nan, nan}},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v\nwant %+v", rows, want)
	}
	for i := range want {
		if !sameRow(rows[i], want[i]) {
			t.Errorf("row %d = %+v\nwant    %+v", i, rows[i], want[i])
		}
	}
	if got := rows[0].Speedup(); got != 2 {
		t.Errorf("speedup = %v, want 2", got)
	}
}

func sameRow(a, b Row) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	st := func(x, y Stats) bool {
		return eq(x.NsPerOp, y.NsPerOp) && eq(x.BPerOp, y.BPerOp) && eq(x.AllocsOp, y.AllocsOp)
	}
	return a.Pkg == b.Pkg && a.Bench == b.Bench && a.Set == b.Set && st(a.Ours, b.Ours) && st(a.Their, b.Their)
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		name string
		ok   bool
	}{
		{"BenchmarkA/b/h2kit-16 \t 10 \t 5 ns/op", "BenchmarkA/b/h2kit", true},
		{"BenchmarkA/size-64/xnet \t 10 \t 5 ns/op", "BenchmarkA/size-64/xnet", true},
		{"BenchmarkA/size-64-2 \t 10 \t 5 ns/op", "BenchmarkA/size-64", true},
		{"BenchmarkA-2 \t 10 \t 5 ns/op \t 1", "", false}, // odd field count
		{"BenchmarkA-2 \t ten \t 5 ns/op", "", false},
		{"BenchmarkA-2 \t 10 \t 5 MB/s", "", false}, // no ns/op
		{"--- BENCH: BenchmarkA", "", false},
		{"ok  \tgithub.com/h2kit/h2kit/hpack\t1.2s", "", false},
	} {
		name, _, ok := parseLine(tc.line)
		if name != tc.name || ok != tc.ok {
			t.Errorf("parseLine(%q) = %q, %v; want %q, %v", tc.line, name, ok, tc.name, tc.ok)
		}
	}
}

func TestRender(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := pair(res.Benchmarks)
	got := render(rows, Meta{Date: "2026-01-02", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64",
		CPU: "Test CPU", Cores: 2, Count: 3})
	want := "Measured 2026-01-02 with go1.26.8 on linux/amd64, Test CPU (2 cores), `-count=3` (medians shown). " +
		"Regenerate with `scripts/bench-table -update`.\n\n" +
		"| package | benchmark | set | h2kit ns/op | h2kit B/op | h2kit allocs/op | x/net ns/op | x/net B/op | x/net allocs/op | speedup |\n" +
		"|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n" +
		"| hpack | Decode | small | 1100 | 128 | 3 | 2200 | 512 | 10 | 2.00× |\n" +
		"| hpack | Decode | size-1024/big | 100000 | 0 | 0 | 50000 | 4096 | 20 | 0.50× |\n" +
		"| frame | Parse | — | 10.0 | 0 | 0 | 35.0 | 16 | 1 | 3.50× |\n" +
		"| frame | Decode | small | 10.0 | — | — | 20.0 | — | — | 2.00× |\n"
	if got != want {
		t.Errorf("render:\n%s\nwant:\n%s", got, want)
	}
}

func TestReplaceBetweenMarkers(t *testing.T) {
	doc := "# T\n\nintro\n\n" + beginMarker + "\nold\nstuff\n" + endMarker + "\n\nafter\n"
	got, err := replaceBetweenMarkers(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# T\n\nintro\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\nafter\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// Idempotent.
	again, err := replaceBetweenMarkers(got, "new table\n")
	if err != nil || again != want {
		t.Errorf("second replace = %q, %v", again, err)
	}

	for _, bad := range []string{
		"no markers",
		beginMarker + " only",
		endMarker + " x " + beginMarker,
		beginMarker + endMarker + beginMarker + endMarker,
	} {
		if _, err := replaceBetweenMarkers(bad, "x"); err == nil {
			t.Errorf("replaceBetweenMarkers(%q): no error", bad)
		}
	}
}

func TestParseCPUInfo(t *testing.T) {
	in := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R)  Xeon(R) Processor @ 2.50GHz\n\nprocessor\t: 1\nmodel name\t: other\n"
	if got, want := parseCPUInfo(in), "Intel(R) Xeon(R) Processor @ 2.50GHz"; got != want {
		t.Errorf("parseCPUInfo = %q, want %q", got, want)
	}
	if got := parseCPUInfo("processor: 0\n"); got != "" {
		t.Errorf("parseCPUInfo without model = %q", got)
	}
}
