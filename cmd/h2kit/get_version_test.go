package main

// Tests of h2kit version: the module version, the commit, its time and
// whether the tree was modified, from the build information.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
		{Key: "vcs.revision", Value: "47317f9e0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
		{Key: "vcs.time", Value: "2026-12-05T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := "h2kit (devel)\ncommit   47317f9e0a1b2c3d4e5f60718293a4b5c6d7e8f9 (2026-12-05T10:00:00Z), with changes not committed\ngo       go1.26.0 linux/amd64\n"
	if got := versionText(bi); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	bi.Main.Version, bi.Settings = "v1.2.3", nil
	if got, want := versionText(bi), "h2kit v1.2.3\ngo       go1.26.0\n"; got != want {
		t.Errorf("installed at a version: got\n%s\nwant\n%s", got, want)
	}
	bi.Main.Version = ""
	if got := versionText(bi); !strings.Contains(got, "h2kit (devel)\ncommit   unknown") {
		t.Errorf("no VCS information: %s", got)
	}
	if got := versionText(nil); !strings.Contains(got, "no build information") {
		t.Errorf("nil: %s", got)
	}
}

// A binary built from the checkout names its commit.
func TestVersionCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	// go build stamps VCS information only where .git is a directory: a
	// worktree's .git is a file, and its binaries say "commit unknown".
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a git worktree: go build stamps no VCS information in one")
	}
	bin := filepath.Join(t.TempDir(), "h2kit")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "version")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// Others may commit meanwhile: HEAD before or after the build.
	after, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	want := "\ncommit   " + strings.TrimSpace(string(head)) + " ("
	want2 := "\ncommit   " + strings.TrimSpace(string(after)) + " ("
	if !strings.HasPrefix(out.String(), "h2kit v") || !strings.Contains(out.String(), want) && !strings.Contains(out.String(), want2) {
		t.Errorf("h2kit version:\n%s\nwant a module version and %q", out.String(), want)
	}
}
