package main

// End-to-end tests of serve's flags for the access log, ETags, push
// validation, streams and windows: the binary against loopback (see
// startServe in serve_e2e_test.go), each bounded in time.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFile waits until the file name contains all of want.
func waitFile(t *testing.T, name string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(name)
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q:\n%s", name, missing, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeE2ENoAccessLog: --no-access-log prints no request lines.
func TestServeE2ENoAccessLog(t *testing.T) {
	p := startServe(t, "--h2c", "--no-access-log")
	c := h2Client(true)
	if res, _ := fetch(t, c, "GET", p.url+"/status/201", nil); res.StatusCode != 201 {
		t.Fatalf("status %d", res.StatusCode)
	}
	c.CloseIdleConnections()
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if out := p.out.String(); strings.Contains(out, "msg=request") || !strings.Contains(out, "stopped") {
		t.Errorf("output:\n%s", out)
	}
}

// TestServeE2ELogFile: --log FILE takes the access log, pushed responses
// marked, and standard output keeps the rest; with -v, HTTP/2 requests
// are logged to the file too (the frames go to standard output).
func TestServeE2ELogFile(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(logFile, []byte("kept\n"), 0o644)
	p := startServe(t, "--h2c", "--log", logFile)
	var pc pushCounter
	c := pc.client(true)
	if res, _ := fetch(t, c, "GET", p.url+"/", nil); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := waitFile(t, logFile, "kept\n", "msg=request method=GET path=/ status=200",
		"path=/style.css status=200", "path=/app.js status=200", "path=/logo.svg status=200")
	for _, line := range strings.Split(got, "\n") {
		pushed := strings.Contains(line, "path=/style.css") || strings.Contains(line, "path=/app.js") || strings.Contains(line, "path=/logo.svg")
		if pushed != strings.HasSuffix(line, " pushed=true") {
			t.Errorf("line %q: pushed mark wrong", line)
		}
	}
	c.CloseIdleConnections()
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if out := p.out.String(); strings.Contains(out, "msg=request") || !strings.Contains(out, "Open http://") {
		t.Errorf("standard output:\n%s", out)
	}

	// -v and --log: frames on standard output, HTTP/2 requests in the file.
	logFile2 := filepath.Join(t.TempDir(), "v.log")
	p = startServe(t, "--h2c", "-v", "--log", logFile2)
	c = h2Client(true)
	fetch(t, c, "GET", p.url+"/status/202", nil)
	c.CloseIdleConnections()
	waitFile(t, logFile2, "path=/status/202 status=202", "proto=HTTP/2.0")
	p.waitOutput(t, "recv (stream_id=1) :path: /status/202")
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("-v: exit status %d", code)
	}

	// A log file that cannot be opened: status 1, a clear message.
	code, _, errs := runH2kit(t, "serve", "--addr", "127.0.0.1:0", "--log", filepath.Join(t.TempDir(), "no", "such", "dir", "x.log"))
	if code != exitFailure || !strings.Contains(errs, "--log: ") {
		t.Errorf("unopenable log: exit %d, %q", code, errs)
	}
}

// TestServeE2EStreamFlags: --max-concurrent-streams, -w and -W reach
// the wire: the server's SETTINGS and its connection WINDOW_UPDATE, as
// its -v trace shows them; requests are served.
func TestServeE2EStreamFlags(t *testing.T) {
	p := startServe(t, "--h2c", "-v", "--max-concurrent-streams", "7", "-w", "18", "-W", "20")
	c := h2Client(true)
	if res, body := fetch(t, c, "POST", p.url+"/echo", strings.NewReader(strings.Repeat("x", 300000))); res.StatusCode != 200 || len(body) != 300000 {
		t.Errorf("/echo: %d, %d bytes", res.StatusCode, len(body))
	}
	c.CloseIdleConnections()
	p.waitOutput(t,
		"[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7]",
		"[SETTINGS_INITIAL_WINDOW_SIZE(0x04):262143]",
		"send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0>\n          (window_size_increment=983040)",
	)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit status %d", code)
	}
}
