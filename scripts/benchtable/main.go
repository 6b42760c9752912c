// Command benchtable runs the h2kit-versus-golang.org/x/net benchmarks and
// renders them as a Markdown table.
//
// A comparison benchmark is a pair of sub-benchmarks that differ only in
// their last element:
//
//	BenchmarkDecode/<set>/h2kit
//	BenchmarkDecode/<set>/xnet
//
// (<set> may be empty or contain slashes). Benchmarks that are not part of
// a pair are reported on standard error and left out of the table. With
// -count greater than one the median of the runs is shown.
//
// Usage (from anywhere in the repository; scripts/bench-table wraps it):
//
//	go run ./scripts/benchtable [-count 5] [-benchtime 1s] [-update] [packages]
//	go run ./scripts/benchtable -in bench.txt [-update]
//
// Without -update the table is printed; with -update README.md is rewritten
// between the <!-- bench:begin --> and <!-- bench:end --> markers. The
// default packages are ./hpack and ./frame. Standard library only.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Markers delimit the generated part of README.md.
const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// Names of the two sides, as the last element of a sub-benchmark name.
const (
	ours   = "h2kit"
	theirs = "xnet"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	count := fs.Int("count", 5, "`n` runs of each benchmark (go test -count); the table shows medians")
	benchtime := fs.String("benchtime", "", "go test -benchtime (default: go test's own)")
	bench := fs.String("bench", ".", "go test -bench `regexp`")
	update := fs.Bool("update", false, "rewrite README.md between the bench markers instead of printing")
	readme := fs.String("readme", "", "README `file` to rewrite (default: README.md at the module root)")
	in := fs.String("in", "", "parse saved `file` of go test -bench output instead of running the benchmarks (- for stdin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./hpack", "./frame"}
	}

	root, err := moduleRoot()
	if err != nil {
		return err
	}

	var out []byte
	runs := *count
	switch {
	case *in == "-":
		out, err = io.ReadAll(os.Stdin)
		runs = 0
	case *in != "":
		out, err = os.ReadFile(*in)
		runs = 0
	default:
		out, err = runBenchmarks(root, pkgs, *bench, *benchtime, *count, stderr)
	}
	if err != nil {
		return err
	}

	res, err := parse(bytes.NewReader(out))
	if err != nil {
		return err
	}
	rows, unpaired := pair(res.Benchmarks)
	for _, u := range unpaired {
		fmt.Fprintf(stderr, "benchtable: no partner for %s\n", u)
	}
	if len(rows) == 0 {
		return errors.New("no benchmark pairs found (want BenchmarkX/<set>/h2kit and BenchmarkX/<set>/xnet)")
	}
	if runs == 0 {
		runs = res.maxRuns()
	}
	meta := Meta{
		Date:      time.Now().UTC().Format("2006-01-02"),
		GoVersion: goVersion(),
		GOOS:      firstNonEmpty(res.GOOS, runtime.GOOS),
		GOARCH:    firstNonEmpty(res.GOARCH, runtime.GOARCH),
		CPU:       firstNonEmpty(cpuModel(), res.CPU, "unknown CPU"),
		Cores:     runtime.NumCPU(),
		Count:     runs,
	}
	table := render(rows, meta)

	if !*update {
		_, err := io.WriteString(stdout, table)
		return err
	}
	path := *readme
	if path == "" {
		path = filepath.Join(root, "README.md")
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	newDoc, err := replaceBetweenMarkers(string(doc), table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(newDoc), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "benchtable: wrote %d rows to %s\n", len(rows), path)
	return nil
}

// moduleRoot returns the directory holding go.mod, from `go env GOMOD`.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// runBenchmarks runs go test in root, copying its output to progress as it
// comes, and returns the output.
func runBenchmarks(root string, pkgs []string, bench, benchtime string, count int, progress io.Writer) ([]byte, error) {
	args := []string{"test", "-run=NONE", "-bench=" + bench, "-benchmem", "-count=" + strconv.Itoa(count)}
	if benchtime != "" {
		args = append(args, "-benchtime="+benchtime)
	}
	args = append(args, pkgs...)
	fmt.Fprintf(progress, "benchtable: go %s\n", strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, progress)
	cmd.Stderr = progress
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test: %w", err)
	}
	return buf.Bytes(), nil
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v
	}
	return runtime.Version()
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return parseCPUInfo(string(b))
}

func parseCPUInfo(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Bench is one benchmark over all its runs.
type Bench struct {
	Pkg  string // import path from the "pkg:" line before it
	Name string // full name without the -GOMAXPROCS suffix
	Runs []Run
}

// Run is one result line. A metric that was not reported is NaN.
type Run struct {
	N        int64
	NsPerOp  float64
	BPerOp   float64
	AllocsOp float64
}

// Result is everything parse read from go test -bench output.
type Result struct {
	GOOS, GOARCH, CPU string
	Benchmarks        []*Bench // in order of first appearance
}

func (r *Result) maxRuns() int {
	n := 0
	for _, b := range r.Benchmarks {
		n = max(n, len(b.Runs))
	}
	return n
}

// procSuffix is the -GOMAXPROCS suffix go test adds to benchmark names.
var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output (several packages, any -count). Lines
// that are not benchmark results are skipped.
func parse(r io.Reader) (*Result, error) {
	res := &Result{}
	byKey := map[string]*Bench{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "Benchmark") {
			v = strings.TrimSpace(v)
			switch k {
			case "pkg":
				pkg = v
			case "goos":
				res.GOOS = v
			case "goarch":
				res.GOARCH = v
			case "cpu":
				res.CPU = v
			}
			continue
		}
		name, run, ok := parseLine(line)
		if !ok {
			continue
		}
		key := pkg + "\x00" + name
		b := byKey[key]
		if b == nil {
			b = &Bench{Pkg: pkg, Name: name}
			byKey[key] = b
			res.Benchmarks = append(res.Benchmarks, b)
		}
		b.Runs = append(b.Runs, run)
	}
	return res, sc.Err()
}

// parseLine parses one result line such as
//
//	BenchmarkDecode/small/h2kit-2  1000000  1052 ns/op  97.3 MB/s  128 B/op  3 allocs/op
func parseLine(line string) (name string, run Run, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return "", run, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return "", run, false
	}
	run = Run{N: n, NsPerOp: math.NaN(), BPerOp: math.NaN(), AllocsOp: math.NaN()}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", run, false
		}
		switch f[i+1] {
		case "ns/op":
			run.NsPerOp = v
		case "B/op":
			run.BPerOp = v
		case "allocs/op":
			run.AllocsOp = v
		}
	}
	if math.IsNaN(run.NsPerOp) {
		return "", run, false
	}
	return procSuffix.ReplaceAllString(f[0], ""), run, true
}

// Stats are the medians of a benchmark's runs.
type Stats struct {
	NsPerOp, BPerOp, AllocsOp float64
}

func (b *Bench) stats() Stats {
	col := func(get func(Run) float64) float64 {
		var v []float64
		for _, r := range b.Runs {
			if x := get(r); !math.IsNaN(x) {
				v = append(v, x)
			}
		}
		return median(v)
	}
	return Stats{
		NsPerOp:  col(func(r Run) float64 { return r.NsPerOp }),
		BPerOp:   col(func(r Run) float64 { return r.BPerOp }),
		AllocsOp: col(func(r Run) float64 { return r.AllocsOp }),
	}
}

// median of v, NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Row is one line of the table: the two sides of one comparison.
type Row struct {
	Pkg   string // import path
	Bench string // "BenchmarkDecode"
	Set   string // the middle of the name, "" if none
	Ours  Stats
	Their Stats
}

// Speedup is x/net's time over ours: above 1, h2kit is faster.
func (r Row) Speedup() float64 { return r.Their.NsPerOp / r.Ours.NsPerOp }

// splitName splits "BenchmarkX/a/b/h2kit" into ("BenchmarkX", "a/b", "h2kit").
func splitName(name string) (bench, set, side string, ok bool) {
	i := strings.IndexByte(name, '/')
	j := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", "", "", false
	}
	bench, side = name[:i], name[j+1:]
	if i < j {
		set = name[i+1 : j]
	}
	return bench, set, side, side == ours || side == theirs
}

// pair matches each .../h2kit benchmark with its .../xnet partner in the
// same package. Rows keep the order of first appearance; unpaired lists
// ("pkg name") the comparison benchmarks whose partner is missing.
func pair(benches []*Bench) (rows []Row, unpaired []string) {
	type key struct{ pkg, bench, set string }
	type sides struct{ ours, theirs *Bench }
	var order []key
	m := map[key]*sides{}
	for _, b := range benches {
		bench, set, side, ok := splitName(b.Name)
		if !ok {
			continue
		}
		k := key{b.Pkg, bench, set}
		s := m[k]
		if s == nil {
			s = &sides{}
			m[k] = s
			order = append(order, k)
		}
		if side == ours {
			s.ours = b
		} else {
			s.theirs = b
		}
	}
	for _, k := range order {
		s := m[k]
		switch {
		case s.ours == nil:
			unpaired = append(unpaired, s.theirs.Pkg+" "+s.theirs.Name)
		case s.theirs == nil:
			unpaired = append(unpaired, s.ours.Pkg+" "+s.ours.Name)
		default:
			rows = append(rows, Row{Pkg: k.pkg, Bench: k.bench, Set: k.set, Ours: s.ours.stats(), Their: s.theirs.stats()})
		}
	}
	return rows, unpaired
}

// Meta describes the machine and run, for the line above the table.
type Meta struct {
	Date, GoVersion, GOOS, GOARCH, CPU string
	Cores, Count                       int
}

// render returns the Markdown: a line about the run, then the table.
func render(rows []Row, m Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with %s on %s/%s, %s (%d cores), `-count=%d` (medians shown). "+
		"Regenerate with `scripts/bench-table -update`.\n\n", m.Date, m.GoVersion, m.GOOS, m.GOARCH, m.CPU, m.Cores, m.Count)
	b.WriteString("| package | benchmark | set | h2kit ns/op | h2kit B/op | h2kit allocs/op | x/net ns/op | x/net B/op | x/net allocs/op | speedup |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		set := r.Set
		if set == "" {
			set = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			path.Base(r.Pkg), strings.TrimPrefix(r.Bench, "Benchmark"), set,
			fmtNs(r.Ours.NsPerOp), fmtInt(r.Ours.BPerOp), fmtInt(r.Ours.AllocsOp),
			fmtNs(r.Their.NsPerOp), fmtInt(r.Their.BPerOp), fmtInt(r.Their.AllocsOp),
			fmtSpeedup(r.Speedup()))
	}
	return b.String()
}

func fmtNs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func fmtInt(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

func fmtSpeedup(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "×"
}

// replaceBetweenMarkers replaces what lies between the begin and end markers
// of doc with content, keeping the markers on their own lines.
func replaceBetweenMarkers(doc, content string) (string, error) {
	i := strings.Index(doc, beginMarker)
	if i < 0 {
		return "", fmt.Errorf("marker %s not found", beginMarker)
	}
	if strings.Count(doc, beginMarker) != 1 || strings.Count(doc, endMarker) != 1 {
		return "", errors.New("want exactly one begin and one end marker")
	}
	j := strings.Index(doc, endMarker)
	if j < i {
		return "", fmt.Errorf("marker %s before %s", endMarker, beginMarker)
	}
	content = strings.TrimRight(content, "\n")
	return doc[:i+len(beginMarker)] + "\n" + content + "\n" + doc[j:], nil
}
