package testpeer

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// H2Spec returns the path of h2spec: on PATH, or where go install puts it
// ($GOBIN, $HOME/go/bin, /root/go/bin). Without it, t ends with Missing.
func H2Spec(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin"), "/root/go/bin"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "h2spec")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	Missing(t, "h2spec (go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible)")
	return ""
}

// H2SpecResult counts the cases of one h2spec run.
type H2SpecResult struct {
	Total, Failed, Skipped int
}

// h2specReport is the part of h2spec's JUnit report (-j) that RunH2Spec
// reads: a case is named by its section (package, "http2/5.1") and
// description (classname); a failure or an error holds what was expected
// and what came.
type h2specReport struct {
	Suites []struct {
		Cases []struct {
			Section string       `xml:"package,attr"`
			Desc    string       `xml:"classname,attr"`
			Failure *h2specFault `xml:"failure"`
			Error   *h2specFault `xml:"error"`
			Skipped *struct{}    `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type h2specFault struct {
	Text string `xml:",chardata"`
}

// RunH2Spec runs h2spec (bin, from H2Spec) with args, which name the
// server and the mode (-h, -p, -t -k, --strict, ...), for at most four
// minutes. It reads the JUnit report h2spec writes (-j, added here), logs
// the counts under name, and fails t, listing each failed case with what
// h2spec expected and what came, when a case failed or none ran.
func RunH2Spec(t testing.TB, bin, name string, args []string) H2SpecResult {
	t.Helper()
	report := filepath.Join(t.TempDir(), "h2spec-report.xml")
	args = append(args[:len(args):len(args)], "-j", report)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	b, rerr := os.ReadFile(report)
	if rerr != nil {
		t.Fatalf("h2spec %v: %v, no report: %v\n%s", args, err, rerr, out)
	}
	var rep h2specReport
	if err := xml.Unmarshal(b, &rep); err != nil {
		t.Fatalf("h2spec %s: parsing the report: %v", name, err)
	}
	var res H2SpecResult
	var failed []string
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			res.Total++
			fault := c.Failure
			if fault == nil {
				fault = c.Error
			}
			switch {
			case fault != nil:
				why := strings.ReplaceAll(strings.TrimSpace(fault.Text), "\n", "\n      ")
				failed = append(failed, fmt.Sprintf("%s: %s\n      %s", c.Section, c.Desc, why))
			case c.Skipped != nil:
				res.Skipped++
			}
		}
	}
	res.Failed = len(failed)
	t.Logf("h2spec %s: %d tests, %d passed, %d failed, %d skipped", name, res.Total, res.Total-res.Failed-res.Skipped, res.Failed, res.Skipped)
	if res.Failed > 0 || res.Total == 0 {
		t.Errorf("h2spec %s: %d of %d cases failed (expected, then actual):\n  %s\n\nh2spec output (end):\n%s",
			name, res.Failed, res.Total, strings.Join(failed, "\n  "), LastLines(string(out), 20))
	}
	return res
}

// LastLines returns the last n lines of s, for a program's output in a
// failure message.
func LastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
