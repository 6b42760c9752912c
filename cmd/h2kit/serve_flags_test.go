package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/h2server"
)

// TestParseServeLogFlags: --no-access-log, --log FILE, not both.
func TestParseServeLogFlags(t *testing.T) {
	o, err := parseServeArgs([]string{"--no-access-log"})
	if err != nil || !o.noAccessLog || o.logFile != "" {
		t.Errorf("--no-access-log: %+v %v", o, err)
	}
	o, err = parseServeArgs([]string{"--log", "access.log"})
	if err != nil || o.noAccessLog || o.logFile != "access.log" {
		t.Errorf("--log: %+v %v", o, err)
	}
	if _, err := parseServeArgs([]string{"--log", "a.log", "--no-access-log"}); err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Errorf("both: %v", err)
	}
}

// streamWriter is an HTTP/2 ResponseWriter that tells its stream id and
// takes pushes, as a server that exposes the id would.
type streamWriter struct {
	*httptest.ResponseRecorder
	id     uint32
	pushed []string
}

func (w *streamWriter) StreamID() uint32 { return w.id }

func (w *streamWriter) Push(target string, _ *http.PushOptions) error {
	w.pushed = append(w.pushed, target)
	return nil
}

// unwrapWriter hides the writer it wraps but for Unwrap.
type unwrapWriter struct{ http.ResponseWriter }

func (w unwrapWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestServeAccessLogMarks: the access log shows the stream id a writer
// tells (also through Unwrap) and marks the pushed responses; both
// loggers (slog and the hand-formatted one) write the same.
func TestServeAccessLogMarks(t *testing.T) {
	for _, kind := range []string{"text", "slog"} {
		var buf bytes.Buffer
		var diary pushDiary
		h, err := newServeHandlerDiary(&serveOptions{}, func(string) *pushDiary { return &diary })
		if err != nil {
			t.Fatal(err)
		}
		if kind == "text" {
			h = textAccessLog(h, &buf, false)
		} else {
			h = accessLog(h, slogTextLogger(&buf), false)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.ProtoMajor, req.Proto = 2, "HTTP/2.0"
		req.Header.Set("User-Agent", "test")
		page := &streamWriter{ResponseRecorder: httptest.NewRecorder(), id: 1}
		h.ServeHTTP(page, req)
		if len(page.pushed) != len(demoPush) {
			t.Fatalf("%s: pushed %v", kind, page.pushed)
		}
		// The pushed request, as h2server serves it: no header fields.
		preq := httptest.NewRequest("GET", page.pushed[0], nil)
		preq.ProtoMajor, preq.Proto, preq.Header = 2, "HTTP/2.0", http.Header{}
		h.ServeHTTP(unwrapWriter{&streamWriter{ResponseRecorder: httptest.NewRecorder(), id: 2}}, preq)
		// HTTP/1.1: no stream, not pushed.
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/status/204", nil))
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%s: %d lines:\n%s", kind, len(lines), buf.String())
		}
		if !strings.HasSuffix(lines[0], " stream=1") || !strings.Contains(lines[0], "path=/ ") {
			t.Errorf("%s: page line %q", kind, lines[0])
		}
		if !strings.HasSuffix(lines[1], " stream=2 pushed=true") || !strings.Contains(lines[1], "path="+demoPush[0]+" ") {
			t.Errorf("%s: pushed line %q", kind, lines[1])
		}
		if strings.Contains(lines[2], "stream=") || strings.Contains(lines[2], "pushed") {
			t.Errorf("%s: HTTP/1.1 line %q", kind, lines[2])
		}
	}
}

// TestParseServeStreamFlags: --max-concurrent-streams, -w and -W parsed,
// checked and applied to the h2server.Server; not given, h2server's
// defaults stay.
func TestParseServeStreamFlags(t *testing.T) {
	o, err := parseServeArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	var srv h2server.Server
	applyServeSettings(&srv, o)
	if srv.MaxConcurrentStreams != 0 || srv.InitialWindowSize != 0 || srv.ConnectionWindow != 0 {
		t.Errorf("defaults changed: %d %d %d", srv.MaxConcurrentStreams, srv.InitialWindowSize, srv.ConnectionWindow)
	}
	for _, c := range []struct {
		args               []string
		streams, win, conn uint32
	}{
		{[]string{"--max-concurrent-streams", "7", "-w", "16", "-W", "20"}, 7, 65535, 1<<20 - 1},
		{[]string{"--max-concurrent-streams=2147483647", "--window-bits", "30", "--connection-window-bits", "30"}, 1<<31 - 1, 1<<30 - 1, 1<<30 - 1},
		{[]string{"-w", "0", "-W", "0"}, 0, 1, 65535},
		{[]string{"-W", "15"}, 0, 0, 65535},
		{[]string{"-W", "17"}, 0, 0, 1<<17 - 1},
	} {
		o, err := parseServeArgs(c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		var srv h2server.Server
		applyServeSettings(&srv, o)
		if srv.MaxConcurrentStreams != c.streams || srv.InitialWindowSize != c.win || srv.ConnectionWindow != c.conn {
			t.Errorf("%q: streams %d, window %d, connection window %d; want %d %d %d", c.args,
				srv.MaxConcurrentStreams, srv.InitialWindowSize, srv.ConnectionWindow, c.streams, c.win, c.conn)
		}
	}
	for _, args := range [][]string{
		{"--max-concurrent-streams", "0"},
		{"--max-concurrent-streams", "-1"},
		{"--max-concurrent-streams", "2147483648"},
		{"--max-concurrent-streams", "many"},
		{"-w", "31"},
		{"-W", "-1"},
		{"-w", "x"},
	} {
		if _, err := parseServeArgs(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	var out, errb bytes.Buffer
	if code := runServe([]string{"--max-concurrent-streams", "0"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--max-concurrent-streams 0: want 1 to 2147483647") {
		t.Errorf("exit %d, %q", code, errb.String())
	}
}

// TestServeFlagsDocumented: every flag of serve is in its -h, is
// accepted by both its names, and the flags of issue 14 are in the
// README.
func TestServeFlagsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		short, long string
		readme      bool // documented in the README's tools section
	}{
		{"-a", "--addr", true}, {"", "--h2c", true}, {"", "--cert", false}, {"", "--key", false},
		{"-d", "--root", true}, {"-p", "--push", true}, {"", "--no-push", true},
		{"", "--shutdown-timeout", false}, {"-v", "--verbose", true}, {"", "--log", true},
		{"", "--no-access-log", true}, {"", "--max-concurrent-streams", true},
		{"-w", "--window-bits", true}, {"-W", "--connection-window-bits", true}, {"-h", "--help", false},
	} {
		line := "  " + f.short + ", " + f.long + " "
		if f.short == "" {
			line = "      " + f.long + " "
		}
		if !strings.Contains(serveUsage, line) && !strings.Contains(serveUsage, strings.TrimSuffix(line, " ")+"\n") {
			t.Errorf("serve -h lacks %q", line)
		}
		for _, name := range []string{f.short, f.long} {
			if name == "" || name == "-h" || name == "--help" {
				continue
			}
			if _, err := parseServeArgs([]string{name + "=1"}); err != nil && strings.Contains(err.Error(), "not defined") {
				t.Errorf("%s: %v", name, err)
			}
		}
		if !f.readme {
			continue
		}
		name := f.long
		if f.short != "" && f.long != "--root" && f.long != "--addr" {
			name = f.short
		}
		// `-w`, [-w BITS] or [--log FILE | ...], not -w inside another word.
		if !regexp.MustCompile("[`\\[|] ?" + regexp.QuoteMeta(name) + "[` \\]=]").Match(readme) {
			t.Errorf("README lacks serve's %s", name)
		}
	}
}
