package main

// h2spec against `h2kit serve` with its default settings: the demo site,
// whose page pushes its assets, answers h2spec's requests (h2server's own
// h2spec test uses a handler made for it; this one checks what a user
// runs). Skipped when h2spec is not installed, unless
// H2KIT_REQUIRE_PEERS=1.

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// h2specBinary finds h2spec on PATH or where go install puts it, or skips
// the test (fails with H2KIT_REQUIRE_PEERS=1).
func h2specBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "h2spec"); fileExists(p) {
			return p
		}
	}
	return requirePeer(t, "h2spec") // skips, or fails when required
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// h2specReport is the part of h2spec's JUnit report (-j) we read: a case
// is named by its section (package, "http2/5.1") and description
// (classname); a failure or an error holds what was expected and what
// came.
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

// TestServeH2Spec runs h2spec against h2kit serve over TLS (-t -k) and h2c
// (prior knowledge), with and without --strict, and lists every case that
// failed.
func TestServeH2Spec(t *testing.T) {
	bin := h2specBinary(t)
	for _, mode := range []struct {
		name string
		args []string
	}{{"tls", nil}, {"h2c", []string{"--h2c"}}} {
		t.Run(mode.name, func(t *testing.T) {
			p := startServe(t, mode.args...)
			u, err := url.Parse(p.url)
			if err != nil {
				t.Fatal(err)
			}
			for _, strict := range []bool{false, true} {
				name := mode.name
				args := []string{"-h", u.Hostname(), "-p", u.Port(), "-o", "2"}
				if mode.name == "tls" {
					args = append(args, "-t", "-k")
				}
				if strict {
					name += "-strict"
					args = append(args, "--strict")
				}
				runH2Spec(t, bin, name, args)
			}
			if code := p.stop(t, os.Interrupt); code != 0 {
				t.Errorf("h2kit serve exited with %d\nstderr:\n%s", code, p.errb)
			}
		})
	}
}

// runH2Spec runs h2spec with args and reports the cases that failed.
func runH2Spec(t *testing.T, bin, name string, args []string) {
	t.Helper()
	report := filepath.Join(t.TempDir(), name+".xml")
	args = append(args, "-j", report)
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
	total, skipped := 0, 0
	var failed []string
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			total++
			fault := c.Failure
			if fault == nil {
				fault = c.Error
			}
			switch {
			case fault != nil:
				why := strings.ReplaceAll(strings.TrimSpace(fault.Text), "\n", "\n      ")
				failed = append(failed, fmt.Sprintf("%s: %s\n      %s", c.Section, c.Desc, why))
			case c.Skipped != nil:
				skipped++
			}
		}
	}
	t.Logf("h2spec %s: %d tests, %d passed, %d failed, %d skipped", name, total, total-len(failed)-skipped, len(failed), skipped)
	if len(failed) > 0 || total == 0 {
		t.Errorf("h2spec %s: %d of %d cases failed (expected, then actual):\n  %s\n\nh2spec output (end):\n%s",
			name, len(failed), total, strings.Join(failed, "\n  "), lastOutputLines(string(out), 20))
	}
}

func lastOutputLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
