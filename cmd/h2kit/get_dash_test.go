package main

// Tests of "-" as standard output for get's -o and -D (issue 14 bug 6).

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// getCmdDir runs h2kit get in dir and returns its exit status and output.
func getCmdDir(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h2kitBinary(t), append([]string{"get"}, args...)...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("h2kit get %q timed out\nstdout:\n%s\nstderr:\n%s", args, out.String(), errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// -o - and -D - write to standard output, and no file named "-".
func TestGetDashIsStdout(t *testing.T) {
	base := newPriorKnowledgeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Answer", "42")
		io.WriteString(w, "body of "+r.URL.Path+"\n")
	}))
	for _, tc := range []struct {
		args []string
		want string // standard output
	}{
		{[]string{"-o", "-", base + "/a"}, "body of /a\n"},
		{[]string{"--output=-", base + "/a", base + "/b"}, "body of /a\nbody of /b\n"},
		{[]string{"-D", "-", base + "/a"}, "x-answer: 42\n"},
		{[]string{"-n", "--dump-header", "-", base + "/a"}, ":status: 200\n"},
	} {
		dir := t.TempDir()
		code, out, errs := getCmdDir(t, dir, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, want it to hold %q\nstderr:\n%s", tc.args, code, out, tc.want, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "-")); err == nil {
			t.Errorf("%q: wrote a file named -", tc.args)
		}
		if slices.Contains(tc.args, "-D") || slices.Contains(tc.args, "--dump-header") {
			// The header section comes before the body, then the body.
			if i, j := strings.Index(out, ":status: 200\n"), strings.Index(out, "\n\n"); i != 0 || j < 0 {
				t.Errorf("%q: header section not first:\n%s", tc.args, out)
			}
			if !slices.Contains(tc.args, "-n") && !strings.HasSuffix(out, "\n\nbody of /a\n") {
				t.Errorf("%q: body not after the header section:\n%s", tc.args, out)
			}
		}
	}
}
