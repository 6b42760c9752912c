package h2server

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// h2specPath finds the h2spec binary: on PATH, or where go install puts it.
func h2specPath() string {
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin"), "/root/go/bin"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "h2spec")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// h2specHandler answers every request with a small body after reading
// the request's: h2spec needs a 200 with DATA for some cases.
var h2specHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "h2kit says hello\n")
})

// junit is the part of h2spec's JUnit report we read.
type junit struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Class   string    `xml:"classname,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestH2Spec runs h2spec against the server over TLS and h2c, with and
// without --strict. Skipped when h2spec is not installed, unless
// H2KIT_REQUIRE_PEERS=1.
func TestH2Spec(t *testing.T) {
	bin := h2specPath()
	if bin == "" {
		if requirePeers() {
			t.Fatal("h2spec not found (go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible)")
		}
		t.Skip("h2spec not installed")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	for _, mode := range []struct {
		name   string
		tls    bool
		strict bool
	}{{"tls", true, false}, {"tls-strict", true, true}, {"h2c", false, false}, {"h2c-strict", false, true}} {
		t.Run(mode.name, func(t *testing.T) {
			s := &Server{Logger: discardLogger()}
			var addr string
			if mode.tls {
				addr = startTLS(t, h2specHandler, s)
			} else {
				addr = startH2C(t, h2specHandler, s)
			}
			_, port, _ := net.SplitHostPort(addr)
			report := filepath.Join(t.TempDir(), "report.xml")
			args := []string{"-h", "127.0.0.1", "-p", port, "-j", report, "-o", "2"}
			if mode.tls {
				args = append(args, "-t", "-k")
			}
			if mode.strict {
				args = append(args, "-S")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			b, rerr := os.ReadFile(report)
			if rerr != nil {
				t.Fatalf("h2spec %v: %v, no report: %v\n%s", args, err, rerr, out)
			}
			var rep junit
			if err := xml.Unmarshal(b, &rep); err != nil {
				t.Fatalf("parsing the report: %v", err)
			}
			total, failed, skipped := 0, 0, 0
			var failures []string
			for _, s := range rep.Suites {
				for _, c := range s.Cases {
					total++
					switch {
					case c.Failure != nil || c.Error != nil:
						failed++
						failures = append(failures, fmt.Sprintf("%s: %s", c.Class, c.Name))
					case c.Skipped != nil:
						skipped++
					}
				}
			}
			t.Logf("h2spec %s: %d tests, %d passed, %d failed, %d skipped", mode.name, total, total-failed-skipped, failed, skipped)
			if failed > 0 || total == 0 {
				t.Errorf("h2spec failures:\n  %s\n\nh2spec output:\n%s", strings.Join(failures, "\n  "), lastLines(string(out), 120))
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
