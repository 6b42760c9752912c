package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestServePushPathChecks: asset paths with . or .. segments or doubled
// slashes are refused when parsed; clean ones, a trailing slash and a
// query are taken.
func TestServePushPathChecks(t *testing.T) {
	for _, bad := range []string{"/=/../secret", "/=/a/../../b", "/=/a/./b.css", "/=/a//b.css", "/=/a/..", "/x/../=/a.css"} {
		if _, err := parseServeArgs([]string{"--push", bad}); err == nil {
			t.Errorf("--push %s: no error", bad)
		}
	}
	for _, good := range []string{"/=/a.css", "/=/sub/", "/=/a.css?v=1", "/=/"} {
		if _, err := parseServeArgs([]string{"--push", good}); err != nil {
			t.Errorf("--push %s: %v", good, err)
		}
	}
}

// TestServePushAssetsChecked: an asset that the root (or the demo site)
// does not serve is a usage error at start, exit 2, naming the rule; a
// rule given without its --push is an error, not a directory; an
// existing asset passes.
func TestServePushAssetsChecked(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "www")
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	os.WriteFile(filepath.Join(root, "a.css"), []byte("p{}"), 0o644)
	os.WriteFile(filepath.Join(base, "secret"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(base, "secret"), filepath.Join(root, "escape"))

	check := func(args ...string) error {
		t.Helper()
		o, err := parseServeArgs(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return checkPushAssets(o)
	}
	if err := check("--root", root, "--push", "/=/a.css", "--push", "/x=/a.css?v=2"); err != nil {
		t.Errorf("existing asset: %v", err)
	}
	for _, a := range []string{"/missing.css", "/escape", "/empty/"} {
		err := check("--root", root, "--push", "/=/a.css,"+a)
		if err == nil || !strings.Contains(err.Error(), "--push /="+a+": ") || !strings.Contains(err.Error(), a+" is not served by "+root) {
			t.Errorf("%s: %v", a, err)
		}
	}
	if err := check("--push", "/=/style.css,/bytes/10"); err != nil {
		t.Errorf("demo assets: %v", err)
	}
	if err := check("--push", "/=/nope.css"); err == nil || !strings.Contains(err.Error(), "the demo site") {
		t.Errorf("demo, missing asset: %v", err)
	}
	// A root that cannot be opened is serve's error (status 1), not this.
	if err := check("--root", filepath.Join(base, "none"), "--push", "/=/a.css"); err != nil {
		t.Errorf("missing root: %v", err)
	}

	var out, errb bytes.Buffer
	if code := runServe([]string{"--addr", "127.0.0.1:0", "--root", root, "--push", "/=/missing.css"}, &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), "/missing.css is not served by "+root+" (HEAD /missing.css answers 404 Not Found)") {
		t.Errorf("missing asset: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := runServe([]string{"--addr", "127.0.0.1:0", "--root", root, "-p", "/=/a.css", "/x=/a.css"}, &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), `"/x=/a.css" looks like a push rule without its --push`) {
		t.Errorf("rule without --push: exit %d, %q", code, errb.String())
	}
}

// TestServeE2EPushRulesAllApply: several --push flags, for one path and
// for another, all apply (over h2client, counting the promises).
func TestServeE2EPushRulesAllApply(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	for _, f := range []string{"index.html", "a.css", "b.js", "c.svg", "sub/index.html"} {
		os.WriteFile(filepath.Join(root, f), []byte("content of "+f), 0o644)
	}
	p := startServe(t, "--h2c", "--root", root, "--push", "/=/a.css", "--push", "/=/b.js,/c.svg", "-p", "/sub/=/a.css")
	var pc pushCounter
	c := pc.client(true)
	defer c.CloseIdleConnections()
	fetch(t, c, "GET", p.url+"/", nil)
	if _, got := pc.take(); !slices.Equal(sortedCopy(got), []string{"/a.css", "/b.js", "/c.svg"}) {
		t.Errorf("/: promises %v", got)
	}
	c2 := pc.client(true) // a new connection: its own diary
	defer c2.CloseIdleConnections()
	fetch(t, c2, "GET", p.url+"/sub/", nil)
	if _, got := pc.take(); !slices.Equal(got, []string{"/a.css"}) {
		t.Errorf("/sub/: promises %v", got)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// sortedCopy returns s sorted, leaving s as it is.
func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
