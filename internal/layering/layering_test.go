package layering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// layer is one row of the layer table of ARCHITECTURE.md (section
// "Layers", between the layers:begin and layers:end markers). Paths are
// relative to the module path, "." being the root package
// github.com/h2kit/h2kit; a path ending in "/..." also matches everything
// below it.
type layer struct {
	pkg string
	// imports are the module packages pkg may import directly. What it may
	// depend on transitively is the closure of this list over the table.
	imports []string
	// forbidStd are standard packages pkg must not import directly.
	forbidStd []string
	// forbidStdDeps are standard packages pkg must not depend on at all,
	// directly or transitively. (os cannot be among them: fmt imports it.)
	forbidStdDeps []string
}

// tableCache is the table of ARCHITECTURE.md, read once by archLayers.
//
// Every package may import the standard library unless its row forbids it,
// and nothing outside the standard library and this module unless its row's
// "may import" names that outside package (only cmd/... does: the tools'
// WebSocket library). golang.org/x/net is a reference peer for differential
// tests and may appear only in _test.go files (this test looks at non-test
// files only).
var tableCache []layer

// archLayers reads the layer table from ARCHITECTURE.md at the module root,
// so that the document and the enforced rules cannot drift apart.
func archLayers(t *testing.T) []layer {
	t.Helper()
	if tableCache != nil {
		return tableCache
	}
	root, _ := moduleRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatalf("the layer table lives in ARCHITECTURE.md: %v", err)
	}
	l, err := parseLayers(string(doc))
	if err != nil {
		t.Fatalf("ARCHITECTURE.md: %v", err)
	}
	tableCache = l
	return tableCache
}

const (
	tableBegin = "<!-- layers:begin -->"
	tableEnd   = "<!-- layers:end -->"
)

// parseLayers reads the Markdown table between tableBegin and tableEnd:
// a header row, a separator row, then one row per layer with the columns
// package, owns, may import, no std import, no std dependency. Package
// names are the backquoted words of a cell; other text is ignored.
func parseLayers(doc string) ([]layer, error) {
	_, rest, ok := strings.Cut(doc, tableBegin)
	if !ok {
		return nil, fmt.Errorf("no %s marker", tableBegin)
	}
	body, _, ok := strings.Cut(rest, tableEnd)
	if !ok {
		return nil, fmt.Errorf("no %s marker", tableEnd)
	}
	var out []layer
	rows := 0
	for line := range strings.SplitSeq(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		rows++
		if rows <= 2 {
			continue // the header and the separator
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			return nil, fmt.Errorf("row %q: %d columns, want 5", line, len(cells))
		}
		pkgs := codeWords(cells[0])
		if len(pkgs) != 1 {
			return nil, fmt.Errorf("row %q: the first column must name one package in backquotes", line)
		}
		out = append(out, layer{
			pkg:           pkgs[0],
			imports:       codeWords(cells[2]),
			forbidStd:     codeWords(cells[3]),
			forbidStdDeps: codeWords(cells[4]),
		})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the layer table has no rows")
	}
	return out, nil
}

// codeWords returns the backquoted words of a table cell, in order.
func codeWords(cell string) []string {
	var words []string
	for {
		_, after, ok := strings.Cut(cell, "`")
		if !ok {
			return words
		}
		word, rest, ok := strings.Cut(after, "`")
		if !ok {
			return words
		}
		if word != "" {
			words = append(words, word)
		}
		cell = rest
	}
}

// pkgInfo is the part of `go list -json` this test reads.
type pkgInfo struct {
	ImportPath string
	Standard   bool
	DepOnly    bool
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
	Module     *struct {
		Path string
		Main bool
	}
}

// TestLayers checks every package of the module against the table of
// ARCHITECTURE.md.
func TestLayers(t *testing.T) {
	layers := archLayers(t)
	root, modPath := moduleRoot(t)
	pkgs := goListDeps(t, root)

	var mine int
	for _, p := range pkgs {
		if inModule(modPath, p.ImportPath) && !p.DepOnly {
			mine++
			if p.Error != nil {
				// Someone's package is mid-edit: this test checks import
				// lists only, and `go build`/`go vet` will report the rest.
				t.Logf("note: go list: %s: %s", p.ImportPath, firstLine(p.Error.Err))
			}
		}
	}
	if mine == 0 {
		t.Fatalf("go list found no package of module %s in %s", modPath, root)
	}
	for _, v := range check(modPath, pkgs, layers) {
		t.Error(v)
	}
	t.Logf("checked %d packages of %s", mine, modPath)
}

// TestCheckReportsViolations feeds check a made-up module that breaks every
// rule once, so that TestLayers is known to be able to fail, and checks that
// each root cause is reported once.
func TestCheckReportsViolations(t *testing.T) {
	layers := archLayers(t)
	const mod = "example.com/m"
	pkgs := fakeModule(mod, map[string][]string{
		"hpack":               {"errors", "golang.org/x/net/http2/hpack"},
		"frame":               {"example.com/m/hpack", "net"},
		".":                   {"example.com/m/frame", "net/http", "os"},
		"internal/connloop":   {"example.com/m", "net"},
		"internal/httpcommon": {"example.com/m/hpack", "net/http"},
		"h2server":            {"example.com/m/h2client", "github.com/coder/websocket"},
		"h2client":            {"example.com/m/internal/connloop", "example.com/m/internal/httpcommon"},
		"cmd/h2kit":           {"example.com/m/h2server", "example.com/m/internal/httpcommon"},
		"internal/newthing":   {"fmt"},
	})
	got := check(mod, pkgs, layers)
	want := []string{
		// hpack: std only.
		`hpack imports golang.org/x/net/http2/hpack: outside the standard library and this module`,
		// frame does not import hpack.
		`frame imports hpack: not allowed`,
		// root: no net/http, no os, and no net through an allowed import.
		`. (root) imports net/http: forbidden`,
		`. (root) imports os: forbidden`,
		`. (root) depends on net: forbidden for this layer; via . -> frame -> net`,
		// h2server and h2client never import each other.
		`h2server imports h2client: not allowed`,
		// An outside module only where a row names it (cmd/... does).
		`h2server imports github.com/coder/websocket: outside the standard library`,
		// cmd: not internal/httpcommon directly.
		`cmd/h2kit imports internal/httpcommon: not allowed`,
		// Unknown package.
		`internal/newthing is not in the layer table`,
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, w) }) {
			t.Errorf("check did not report %q", w)
		}
	}
	// Nothing else: in particular no echo of x/net reaching frame, the root
	// and everything above through hpack, nor of net/http's own imports.
	if len(got) != len(want) {
		t.Errorf("check reported %d violations, want %d", len(got), len(want))
	}
	if t.Failed() {
		t.Logf("check reported:\n%s", strings.Join(got, "\n"))
	}
}

// TestCheckClean: a module that follows the table gets no report, and
// test-only imports (absent from `go list` without -test) do not count.
func TestCheckClean(t *testing.T) {
	layers := archLayers(t)
	const mod = "example.com/m"
	pkgs := fakeModule(mod, map[string][]string{
		"hpack":                  {"errors", "math/bits"},
		"frame":                  {"encoding/binary"},
		".":                      {"example.com/m/frame", "example.com/m/hpack", "time"},
		"internal/httpcommon":    {"example.com/m/hpack", "example.com/m/frame", "net/http"},
		"internal/connloop":      {"example.com/m", "example.com/m/frame", "net", "time"},
		"h2server":               {"example.com/m", "example.com/m/internal/connloop", "example.com/m/internal/httpcommon", "crypto/tls", "os"},
		"h2client":               {"example.com/m", "example.com/m/internal/connloop", "example.com/m/internal/httpcommon", "net/http"},
		"cmd/h2kit":              {"example.com/m/h2server", "example.com/m/h2client", "example.com/m/internal/connloop", "example.com/m/cmd/h2kit/internal/out", "github.com/coder/websocket"},
		"cmd/h2kit/internal/out": {"example.com/m/frame"},
		"scripts/benchtable":     {"os/exec"},
		"internal/layering":      nil,
	})
	if got := check(mod, pkgs, layers); len(got) != 0 {
		t.Errorf("check reported on a clean module:\n%s", strings.Join(got, "\n"))
	}
}

// TestTableSane checks the table itself: every import names a row, and the
// closures keep the promises ARCHITECTURE.md makes in words.
func TestTableSane(t *testing.T) {
	layers := archLayers(t)
	seen := map[string]bool{}
	for _, l := range layers {
		if seen[l.pkg] {
			t.Errorf("layer %q listed twice", l.pkg)
		}
		seen[l.pkg] = true
	}
	for _, l := range layers {
		for _, imp := range l.imports {
			if !seen[imp] && !external(imp) {
				t.Errorf("layer %q may import %q, which has no row", l.pkg, imp)
			}
		}
	}
	closure := func(pkg string) []string { return layerClosure(layers, findLayer(layers, pkg)) }
	if c := closure("frame"); slices.Contains(c, "hpack") {
		t.Errorf("frame may reach hpack: %v", c)
	}
	if c := closure("h2server"); slices.Contains(c, "h2client") {
		t.Errorf("h2server may reach h2client: %v", c)
	}
	if c := closure("h2client"); slices.Contains(c, "h2server") {
		t.Errorf("h2client may reach h2server: %v", c)
	}
}

// check returns one message per violation of table by the module packages
// in pkgs (as from `go list -e -deps`), sorted.
//
// Direct imports are checked against each package's row. Then each
// package's transitive dependencies are checked against what its row may
// reach, following only imports that passed the first check: a dependency
// that comes in through an import already reported is a consequence, not a
// second violation. What is left is what the rows below allow but this row
// does not, such as net reaching the root through a std-only package.
func check(modPath string, pkgs []pkgInfo, table []layer) []string {
	byPath := map[string]*pkgInfo{}
	for i := range pkgs {
		byPath[pkgs[i].ImportPath] = &pkgs[i]
	}
	isStd := func(path string) bool {
		if inModule(modPath, path) {
			return false
		}
		if p := byPath[path]; p != nil && (p.Standard || p.Module != nil) {
			return p.Standard
		}
		// Unresolved import: std paths have no dot in their first element.
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".")
	}
	rel := func(path string) string { return relPath(modPath, path) }
	shown := func(path string) string {
		if path == modPath {
			return ". (root)"
		}
		return rel(path)
	}

	var out []string
	report := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// Pass 1: direct imports. bad collects the reported edges, and every
	// edge out of a package that has no row.
	type edge struct{ from, to string }
	bad := map[edge]bool{}
	var mine []*pkgInfo
	for i := range pkgs {
		p := &pkgs[i]
		if !inModule(modPath, p.ImportPath) || p.DepOnly {
			continue
		}
		mine = append(mine, p)
		l := findLayer(table, rel(p.ImportPath))
		if l == nil {
			report("%s is not in the layer table: add a row to the layer table of ARCHITECTURE.md", rel(p.ImportPath))
			for _, imp := range p.Imports {
				bad[edge{p.ImportPath, imp}] = true
			}
			continue
		}
		for _, imp := range p.Imports {
			var why string
			switch {
			case inModule(modPath, imp):
				if !matchAny(l.imports, rel(imp)) {
					why = "not allowed (may import: " + listOrNone(l.imports) + ")"
				}
			case isStd(imp):
				if slices.Contains(l.forbidStd, imp) || slices.Contains(l.forbidStdDeps, imp) {
					why = "forbidden for this layer"
				}
			case matchAny(l.imports, imp):
				// A module outside this one that the row names (the
				// tools' WebSocket library, for example).
			default:
				why = "outside the standard library and this module (golang.org/x/net is allowed in _test.go files only)"
			}
			if why != "" {
				report("%s imports %s: %s", shown(p.ImportPath), rel(imp), why)
				bad[edge{p.ImportPath, imp}] = true
			}
		}
	}

	// Pass 2: transitive dependencies reached through accepted imports only.
	for _, p := range mine {
		l := findLayer(table, rel(p.ImportPath))
		if l == nil {
			continue
		}
		reach := layerClosure(table, l)
		prev := reachable(byPath, p.ImportPath, func(from, to string) bool { return !bad[edge{from, to}] })
		for _, dep := range p.Deps {
			if _, ok := prev[dep]; !ok || slices.Contains(p.Imports, dep) {
				continue // a consequence of a reported import, or direct
			}
			var why string
			switch {
			case inModule(modPath, dep):
				if !matchAny(reach, rel(dep)) {
					why = "not in what its layer may reach (" + listOrNone(reach) + ")"
				}
			case isStd(dep):
				if slices.Contains(l.forbidStdDeps, dep) {
					why = "forbidden for this layer"
				}
			case matchAny(reach, dep):
				// Inside an outside module the row (or a row below it) names.
			default:
				why = "outside the standard library and this module"
			}
			if why != "" {
				report("%s depends on %s: %s; via %s", shown(p.ImportPath), rel(dep), why, chain(prev, dep, rel))
			}
		}
	}
	sort.Strings(out)
	return out
}

// findLayer returns the row for a module-relative package path, preferring an
// exact row over a "/..." pattern.
func findLayer(table []layer, rel string) *layer {
	var best *layer
	for i := range table {
		l := &table[i]
		if l.pkg == rel {
			return l
		}
		if best == nil && match(l.pkg, rel) {
			best = l
		}
	}
	return best
}

// layerClosure is everything l may reach: its imports, theirs, and so on.
func layerClosure(table []layer, l *layer) []string {
	seen := map[string]bool{}
	var visit func(l *layer)
	visit = func(l *layer) {
		for _, imp := range l.imports {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if next := findLayer(table, imp); next != nil {
				visit(next)
			}
		}
	}
	visit(l)
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// external reports whether a "may import" word names a package outside
// this module (its first path element has a dot, as in
// github.com/coder/websocket/...): such a word needs no row of its own.
func external(word string) bool {
	first, _, _ := strings.Cut(word, "/")
	return first != "." && strings.Contains(first, ".")
}

func match(pattern, rel string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return pattern == rel
}

func matchAny(patterns []string, rel string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, rel) })
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "no module packages"
	}
	return strings.Join(s, ", ")
}

// reachable walks the imports from one package (breadth first, following
// the edges ok accepts) and returns, for every package reached, the package
// it was first reached from ("" for the start).
func reachable(byPath map[string]*pkgInfo, from string, ok func(from, to string) bool) map[string]string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := byPath[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; !seen && ok(cur, imp) {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return prev
}

// chain returns the path that reachable found to a package, as
// "a -> b -> c" with module packages shown relative to the module.
func chain(prev map[string]string, to string, rel func(string) string) string {
	var path []string
	for p := to; p != ""; p = prev[p] {
		path = append(path, rel(p))
	}
	slices.Reverse(path)
	return strings.Join(path, " -> ")
}

func inModule(modPath, path string) bool {
	return path == modPath || strings.HasPrefix(path, modPath+"/")
}

func relPath(modPath, path string) string {
	if path == modPath {
		return "."
	}
	if r, ok := strings.CutPrefix(path, modPath+"/"); ok {
		return r
	}
	return path
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// moduleRoot returns the directory of go.mod (from `go env GOMOD`) and the
// module path it declares.
func moduleRoot(t *testing.T) (dir, modPath string) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not in a module: go env GOMOD is empty")
	}
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return filepath.Dir(gomod), strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatalf("%s: no module line", gomod)
	return "", ""
}

// goListDeps runs `go list -e -deps -json ./...` in the module root. Without
// -test, so imports of _test.go files are not seen. With -e, a package that
// does not build (someone is editing it) is still listed with its imports.
func goListDeps(t *testing.T, root string) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-deps",
		"-json=ImportPath,Standard,DepOnly,Imports,Deps,Error,Module", "./...")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var pkgs []pkgInfo
	dec := json.NewDecoder(&stdout)
	for {
		var p pkgInfo
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decoding go list output: %v\nstderr: %s", err, stderr.String())
		}
		pkgs = append(pkgs, p)
	}
	if runErr != nil {
		if len(pkgs) == 0 {
			t.Fatalf("go list: %v\n%s", runErr, stderr.String())
		}
		t.Logf("note: go list: %v: %s", runErr, firstLine(stderr.String()))
	}
	return pkgs
}

// fakeModule builds a `go list -deps` answer for a module whose packages
// (relative paths, "." for the root) import what imports says. Std packages
// are listed with no imports of their own, except that net/http and
// crypto/tls import net, and a path whose first element has a dot
// (golang.org/x/net/..., github.com/...) is an external module.
func fakeModule(mod string, imports map[string][]string) []pkgInfo {
	abs := func(rel string) string {
		if rel == "." {
			return mod
		}
		return mod + "/" + rel
	}
	graph := map[string][]string{
		"net/http":   {"net", "crypto/tls"},
		"crypto/tls": {"net"},
	}
	for rel, imps := range imports {
		graph[abs(rel)] = imps
	}
	// Every named path gets a node.
	for _, imps := range imports {
		for _, imp := range imps {
			if _, ok := graph[imp]; !ok {
				graph[imp] = nil
			}
		}
	}
	deps := func(from string) []string {
		seen := map[string]bool{}
		var visit func(string)
		visit = func(p string) {
			for _, imp := range graph[p] {
				if !seen[imp] {
					seen[imp] = true
					visit(imp)
				}
			}
		}
		visit(from)
		var out []string
		for k := range seen {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	var pkgs []pkgInfo
	for path, imps := range graph {
		p := pkgInfo{ImportPath: path, Imports: imps, Deps: deps(path)}
		switch {
		case inModule(mod, path):
			p.Module = &struct {
				Path string
				Main bool
			}{mod, true}
		case external(path):
			p.DepOnly = true
		default:
			p.Standard, p.DepOnly = true, true
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].ImportPath < pkgs[j].ImportPath })
	return pkgs
}

// TestParseLayers checks the reader of the table on a small document, and
// that a malformed table is an error rather than an empty (permissive) one.
func TestParseLayers(t *testing.T) {
	doc := "intro\n" + tableBegin + "\n" +
		"| package | owns | may import | no std import | no std dependency |\n" +
		"|---|---|---|---|---|\n" +
		"| `hpack` | compression, see `frame` too | | | |\n" +
		"| `.` | engine | `frame`, `hpack` | `net`, `os` | `net` |\n" +
		tableEnd + "\nafter\n"
	got, err := parseLayers(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []layer{
		{pkg: "hpack"},
		{pkg: ".", imports: []string{"frame", "hpack"}, forbidStd: []string{"net", "os"}, forbidStdDeps: []string{"net"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseLayers = %+v, want %+v", got, want)
	}
	for name, bad := range map[string]string{
		"no begin":     "| package |\n",
		"no end":       tableBegin + "\n| a | b |\n",
		"no rows":      tableBegin + "\n| package | owns | may import | x | y |\n|---|---|---|---|---|\n" + tableEnd,
		"four columns": tableBegin + "\n| h | h | h | h |\n|---|---|---|---|\n| `a` | | | |\n" + tableEnd,
		"no package":   tableBegin + "\n| h | h | h | h | h |\n|---|---|---|---|---|\n| a | | | | |\n" + tableEnd,
	} {
		if _, err := parseLayers(bad); err == nil {
			t.Errorf("%s: parseLayers accepted %q", name, bad)
		}
	}
}
