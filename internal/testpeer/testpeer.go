// Package testpeer is what h2kit's tests need around the external
// programs they run against (curl, nghttp, nghttpd, h2load, h2spec,
// openssl, node, chromium, ...): finding them, skipping a test when one is
// missing unless H2KIT_REQUIRE_PEERS=1 (as CI sets) makes that a failure,
// collecting a running program's output, a loopback listener for the
// servers they connect to, and running h2spec with its report read.
//
// It is for _test.go files only: no row of the layer table in
// ARCHITECTURE.md lets a non-test package import it.
package testpeer

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that, set to 1, turns a missing
// peer from a skipped test into a failed one.
const RequireEnv = "H2KIT_REQUIRE_PEERS"

// Required reports whether missing peers fail tests (RequireEnv is 1).
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Missing ends t because the peer what is not there: it fails t when
// Required, and skips it otherwise. For peers that Path cannot find alone
// (a build with a feature, a program with several names).
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (%s=1)", what, RequireEnv)
	}
	t.Skipf("%s not installed", what)
}

// Path returns the path of the program name found on PATH, or ends t with
// Missing.
func Path(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name)
	}
	return p
}

// Output collects what a running program writes (set it as an exec.Cmd's
// Stdout or Stderr) and may be read while the program still writes.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Listen returns a TCP listener on a free port of 127.0.0.1, closed when
// t ends (closing it earlier is fine).
func Listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// FreePort returns a port of 127.0.0.1 that was free a moment ago, for a
// peer that takes its port on its command line.
func FreePort(t testing.TB) int {
	t.Helper()
	l := Listen(t)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// WaitListening waits, for up to d, until addr accepts connections, and
// fails t if it does not; out, if not nil, is the peer's output for the
// failure message.
func WaitListening(t testing.TB, addr string, d time.Duration, out fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(d); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			if out == nil {
				out = new(Output)
			}
			t.Fatalf("nothing listens on %s after %v: %v\n%s", addr, d, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BrowserFields returns the regular header fields of shape D of
// scripts/h2load-compare, name and value in turn: what a browser sends
// with a request for a page (16 fields and a 500-byte cookie). Tests and
// benchmarks of request decoding use it as their browser-like request.
func BrowserFields() []string {
	return []string{
		"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
		"accept-language", "en-US,en;q=0.9,de;q=0.8",
		"accept-encoding", "gzip, deflate, br, zstd",
		"cache-control", "no-cache",
		"pragma", "no-cache",
		"referer", "https://www.example.com/index.html",
		"sec-ch-ua", `"Chromium";v="126", "Not.A/Brand";v="24"`,
		"sec-ch-ua-mobile", "?0",
		"sec-ch-ua-platform", `"Linux"`,
		"sec-fetch-dest", "document",
		"sec-fetch-mode", "navigate",
		"sec-fetch-site", "same-origin",
		"sec-fetch-user", "?1",
		"upgrade-insecure-requests", "1",
		"priority", "u=0, i",
		"cookie", "session=" + strings.Repeat("c", 480) + "; theme=dark",
	}
}
