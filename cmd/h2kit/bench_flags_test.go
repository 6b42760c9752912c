package main

// Tests of the bench flags h2load users reach for (issue 14): their
// parsing, their checks, the plan they make, and their effect on a worker
// driven in memory. bench_flags_e2e_test.go runs them against servers.

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
)

// writeFile writes content to a new file in a test directory and returns
// its name.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBenchFlagData(t *testing.T) {
	// -d DATA is the body itself, as get's -d.
	o, err := parseBenchArgs([]string{"-d", "a=1&b=2", "http://h/"})
	if err != nil {
		t.Fatal(err)
	}
	if string(o.data) != "a=1&b=2" || o.method != "POST" || len(o.notes) != 0 {
		t.Errorf("-d DATA: data %q method %q notes %q", o.data, o.method, o.notes)
	}
	// -d @FILE is the file's content; -d @- standard input.
	file := writeFile(t, "body", "from a file")
	if o, err = parseBenchArgs([]string{"-d", "@" + file, "http://h/"}); err != nil || string(o.data) != "from a file" {
		t.Errorf("-d @FILE: %q %v", o.data, err)
	}
	o, err = parseBenchArgsIn([]string{"--data=@-", "http://h/"}, strings.NewReader("from stdin"))
	if err != nil || string(o.data) != "from stdin" || o.method != "POST" {
		t.Errorf("-d @-: %+v %v", o, err)
	}
	// An empty body is still a body.
	if o, err = parseBenchArgs([]string{"-d", "", "http://h/"}); err != nil || o.data == nil || o.method != "POST" {
		t.Errorf("-d '': %+v %v", o, err)
	}
	// h2load's habit, -d FILE, sends the name: a note says so.
	o, err = parseBenchArgs([]string{"-d", file, "http://h/"})
	if err != nil || string(o.data) != file || len(o.notes) != 1 || !strings.Contains(o.notes[0], "-d @"+file) {
		t.Errorf("-d FILE: data %q notes %q err %v", o.data, o.notes, err)
	}
	// An unreadable file is a file error (exit status 1).
	_, err = parseBenchArgs([]string{"-d", "@" + filepath.Join(t.TempDir(), "missing"), "http://h/"})
	var fe *fileError
	if !errors.As(err, &fe) {
		t.Errorf("-d @missing: %v, want a *fileError", err)
	}
}

func TestBenchFlagMethod(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"http://h/"}, "GET"},
		{[]string{"-X", "PUT", "http://h/"}, "PUT"},
		{[]string{"--method=DELETE", "http://h/"}, "DELETE"},
		{[]string{"-X", "PUT", "-d", "x", "http://h/"}, "PUT"},
		{[]string{"-X", "HEAD", "http://h/"}, "HEAD"},
		{[]string{"-H", ":method: PATCH", "http://h/"}, "PATCH"},
		{[]string{"-X", "PATCH", "-H", ":method: PATCH", "http://h/"}, "PATCH"},
	} {
		o, err := parseBenchArgs(c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		p, err := newBenchPlan(o)
		if err != nil {
			t.Fatal(err)
		}
		r := p.requests[0]
		if got := fieldValue(r.fields, ":method"); got != c.want || r.isHead != (c.want == "HEAD") {
			t.Errorf("%q: :method %q (isHead %v), want %q", c.args, got, r.isHead, c.want)
		}
	}
	// Upgrade requests carry the method too.
	o, err := parseBenchArgs([]string{"-u", "-X", "PUT", "-d", "xy", "http://h/p"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := newBenchPlan(o)
	if err != nil {
		t.Fatal(err)
	}
	if up := string(p.requests[0].upgrade); !strings.HasPrefix(up, "PUT /p HTTP/1.1\r\n") || !strings.HasSuffix(up, "\r\n\r\nxy") {
		t.Errorf("upgrade request %q", up)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	inputFile := writeFile(t, "urls", "http://h/a\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-X", "GE T", "http://h/"}, "not a valid method"},
		{[]string{"-X", "", "http://h/"}, "not a valid method"},
		{[]string{"-X", "PUT", "-H", ":method: GET", "http://h/"}, "contradicts -X PUT"},
		{[]string{"-r", "2", "-D", "1s", "http://h/"}, "-r and -D"},
		{[]string{"-r", "-1", "http://h/"}, "the rate must be"},
		{[]string{"--rate-period", "2s", "http://h/"}, "give -r too"},
		{[]string{"-r", "1", "--rate-period", "0", "http://h/"}, "positive"},
		{[]string{"--warm-up-time", "1s", "http://h/"}, "needs -D"},
		{[]string{"--warm-up-time", "1s", "-n", "5", "http://h/"}, "needs -D"},
		{[]string{"-t", "soon", "http://h/"}, "invalid duration"},
		{[]string{"-T", "-3", "http://h/"}, "positive"},
		{[]string{"-w", "-1", "http://h/"}, "0 to 30"},
		{[]string{"-W", "x", "http://h/"}, "0 to 30"},
		{[]string{"-i", inputFile, "-d", "@-"}, ""}, // fine: only one reads stdin
		{[]string{"-i", "-", "-d", "@-"}, "cannot both read standard input"},
		{[]string{"-i", inputFile, "http://other/"}, "share the scheme"},
		{[]string{"-i", writeFile(t, "empty", "\n \n")}, "no URL in the file"},
		{[]string{"-i", writeFile(t, "bad", "http://h/\n\nftp://h/x\n")}, "line 3: URL \"ftp://h/x\": the scheme must be http or https"},
		{[]string{"-i", writeFile(t, "rel", "/x\n")}, "a path needs a full URL before it"},
		{[]string{"-i", writeFile(t, "other", "http://h/\nhttps://h/\n")}, "line 2: all URLs must share"},
	} {
		_, err := parseBenchArgsIn(c.args, strings.NewReader(""))
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	// -i naming a missing file is a file error (exit status 1).
	_, err := parseBenchArgs([]string{"-i", filepath.Join(t.TempDir(), "missing")})
	var fe *fileError
	if !errors.As(err, &fe) {
		t.Errorf("-i missing: %v, want a *fileError", err)
	}
}

func TestBenchFlagInputFile(t *testing.T) {
	file := writeFile(t, "urls", "http://h:81/a\r\n\n  /b?x=1  \nhttp://h:81/c#frag\n")
	o, err := parseBenchArgs([]string{"-i", file})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range o.urls {
		got = append(got, u.String())
	}
	if want := "http://h:81/a http://h:81/b?x=1 http://h:81/c"; strings.Join(got, " ") != want {
		t.Errorf("urls %q, want %q", got, want)
	}
	// Command-line URLs come first; the file's paths are on their origin.
	o, err = parseBenchArgsIn([]string{"--input-file", "-", "http://h:81/first"}, strings.NewReader("/second\nhttp://h:81/third\n"))
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, u := range o.urls {
		got = append(got, u.Path)
	}
	if strings.Join(got, " ") != "/first /second /third" {
		t.Errorf("paths %q", got)
	}
	// The bound on URLs applies to the file.
	many := strings.Repeat("/x\n", maxBenchURLs)
	if _, err := parseBenchArgsIn([]string{"-i", "-", "http://h/"}, strings.NewReader(many)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d URLs: %v", maxBenchURLs+1, err)
	}
}

func TestBenchFlagValues(t *testing.T) {
	o, err := parseBenchArgsIn([]string{"-r", "3", "--rate-period", "250ms", "-n", "9", "-c", "9",
		"-t", "2s", "-T", "30", "--cacert", "ca.pem", "--keylog", "keys.txt",
		"--log-file", "req.log", "-v", "-w", "0", "-W", "12", "https://h/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.rate != 3 || o.ratePeriod != 250*time.Millisecond || o.reqTimeout != 2*time.Second || o.connTimeout != 30*time.Second ||
		o.tls.caCert != "ca.pem" || o.tls.keyLog != "keys.txt" || o.logFile != "req.log" || !o.verbose ||
		o.windowBits != 0 || o.connWindowBits != 12 {
		t.Errorf("options %+v", o)
	}
	if len(o.notes) != 1 || !strings.Contains(o.notes[0], "-w 0") {
		t.Errorf("notes %q", o.notes)
	}
	// The long names: --timeout is -t (a request, as get's), the
	// inactivity timeout -T has a name of its own.
	o, err = parseBenchArgs([]string{"--timeout", "1.5", "--connection-inactivity-timeout", "4s",
		"--rate", "2", "--window-bits", "16", "--connection-window-bits", "20", "--verbose", "http://h/"})
	if err != nil {
		t.Fatal(err)
	}
	if o.reqTimeout != 1500*time.Millisecond || o.connTimeout != 4*time.Second || o.rate != 2 || o.ratePeriod != time.Second ||
		o.windowBits != 16 || o.connWindowBits != 20 || !o.verbose {
		t.Errorf("long names: %+v", o)
	}
	o, err = parseBenchArgs([]string{"-D", "2s", "--warm-up-time", "500ms", "http://h/"})
	if err != nil || o.warmUp != 500*time.Millisecond || o.duration != 2*time.Second {
		t.Errorf("--warm-up-time: %+v %v", o, err)
	}
}

// The windows advertised for -w and -W, as get computes them: 2**N-1,
// with the smallest the protocol lets each be.
func TestBenchFlagWindows(t *testing.T) {
	for _, c := range []struct {
		w, W       string
		stream, cw uint32
	}{
		{"30", "30", 1<<30 - 1, 1<<30 - 1},
		{"0", "0", 1, 65535},
		{"1", "16", 1, 65535},
		{"16", "17", 65535, 1<<17 - 1},
	} {
		o, err := parseBenchArgs([]string{"-w", c.w, "-W", c.W, "http://h/"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := newBenchPlan(o)
		if err != nil {
			t.Fatal(err)
		}
		if p.config.Settings.InitialWindowSize != c.stream || p.config.ConnectionWindow != c.cw {
			t.Errorf("-w %s -W %s: windows %d and %d, want %d and %d", c.w, c.W,
				p.config.Settings.InitialWindowSize, p.config.ConnectionWindow, c.stream, c.cw)
		}
	}
}

func TestBenchFlagTLSPlan(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	// Without https, neither --cacert nor the key log is touched.
	o, err := parseBenchArgs([]string{"--cacert", filepath.Join(dir, "none.pem"), "--keylog", keys, "http://h/"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := newBenchPlan(o)
	if err != nil || p.tlsConfig != nil {
		t.Fatalf("http: %v %v", p, err)
	}
	if _, err := os.Stat(keys); !os.IsNotExist(err) {
		t.Errorf("key log created for http: %v", err)
	}
	// A missing or empty --cacert is an error.
	o, _ = parseBenchArgs([]string{"--cacert", filepath.Join(dir, "none.pem"), "https://h/"})
	if _, err := newBenchPlan(o); err == nil || !strings.Contains(err.Error(), "--cacert") {
		t.Errorf("missing --cacert: %v", err)
	}
	o, _ = parseBenchArgs([]string{"--cacert", writeFile(t, "empty.pem", "nothing"), "https://h/"})
	if _, err := newBenchPlan(o); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("empty --cacert: %v", err)
	}
	// $SSLKEYLOGFILE is the default key log.
	t.Setenv("SSLKEYLOGFILE", keys)
	o, _ = parseBenchArgs([]string{"-k", "https://h:8443/"})
	p, err = newBenchPlan(o)
	if err != nil {
		t.Fatal(err)
	}
	if p.tlsConfig.KeyLogWriter == nil || !p.tlsConfig.InsecureSkipVerify || p.tlsConfig.ServerName != "h" ||
		len(p.tlsConfig.NextProtos) != 1 || p.tlsConfig.NextProtos[0] != "h2" {
		t.Errorf("tls config %+v", p.tlsConfig)
	}
	if err := p.close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(keys); err != nil {
		t.Errorf("key log: %v", err)
	}
}

func TestAppendLogLine(t *testing.T) {
	start := time.UnixMicro(1700000000123456)
	b := appendLogLine(nil, start, 200, start.Add(1500*time.Microsecond))
	b = appendLogLine(b, start, -1, start.Add(2*time.Second))
	if want := "1700000000123456\t200\t1500\n1700000000123456\t-1\t2000000\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// -t in a worker: a request past its time is reset with CANCEL and
// counted as errored and timeout, and logged with status -1; the others
// go on.
func TestWorkerRequestTimeout(t *testing.T) {
	w, srv := newMemWorker(t, "-n", "3", "-m", "3", "-t", "1s", "--log-file", filepath.Join(t.TempDir(), "log"))
	t0 := time.Now()
	w.fill(t0)
	w.out = w.conn.AppendOutgoing(w.out[:0])
	if w.inflight != 3 || w.reqCheck != t0.Add(time.Second) {
		t.Fatalf("%d in flight, reqCheck %v", w.inflight, w.reqCheck.Sub(t0))
	}
	// Stream 3 is answered; 1 and 5 are not.
	w.conn.Receive(srv.respond(3, status200), t0.Add(100*time.Millisecond))
	w.handleEvents(t0.Add(100 * time.Millisecond))
	// Too early: nothing expires, the next check stays.
	w.expire(t0.Add(500 * time.Millisecond))
	if w.inflight != 2 || w.st.timeout != 0 || w.reqCheck != t0.Add(time.Second) {
		t.Fatalf("early: %d in flight, %d timeouts", w.inflight, w.st.timeout)
	}
	w.expire(t0.Add(1001 * time.Millisecond))
	if w.inflight != 0 || w.st.timeout != 2 || w.st.errored != 2 || w.st.succeeded != 1 || w.st.done != 3 || !w.reqCheck.IsZero() {
		t.Fatalf("after -t: inflight %d, stats %+v", w.inflight, w.st)
	}
	out := w.conn.AppendOutgoing(nil)
	resets := 0
	var parser frame.Parser
	for len(out) > 0 {
		f, n, err := parser.Parse(out)
		if err != nil || n == 0 {
			t.Fatalf("parse: %v (n %d)", err, n)
		}
		if r, ok := f.(*frame.RSTStream); ok && r.Code == frame.ErrCodeCancel {
			resets++
		}
		out = out[n:]
	}
	if resets != 2 {
		t.Errorf("%d RST_STREAM CANCEL sent, want 2", resets)
	}
	if lines := bytes.Count(w.logBuf, []byte("\t-1\t")); lines != 2 || bytes.Count(w.logBuf, []byte("\n")) != 3 {
		t.Errorf("log lines:\n%s", w.logBuf)
	}
}

// --warm-up-time in a worker: requests started before the measured period
// are answered and not counted; the traffic is counted from its start.
func TestWorkerWarmUp(t *testing.T) {
	w, srv := newMemWorker(t, "-D", "10s", "-m", "2")
	t0 := time.Now()
	w.quota = -1 // -D: no count (runPlan sets it so)
	w.measure, w.warm = t0.Add(time.Second), true
	w.fill(t0)
	if w.inflight != 2 {
		t.Fatalf("%d requests started in the warm-up, want 2", w.inflight)
	}
	w.st.bytesIn = 1000 // traffic of the warm-up
	for _, id := range activeIDs(w) {
		w.conn.Receive(srv.respond(id, status200), t0)
	}
	w.handleEvents(t0)
	if w.st.started != 0 || w.st.done != 0 || w.st.responses != 0 || w.st.reqTimes.n != 0 || w.inflight != 0 {
		t.Fatalf("warm-up requests counted: %+v", w.st)
	}
	t1 := t0.Add(time.Second)
	w.checkWarm(t1)
	if w.warm || w.st.bytesIn != 0 {
		t.Fatalf("after the warm-up: warm %v, bytes in %d", w.warm, w.st.bytesIn)
	}
	w.fill(t1)
	for _, id := range activeIDs(w) {
		w.conn.Receive(srv.respond(id, status200), t1)
	}
	w.handleEvents(t1)
	if w.st.started != 2 || w.st.done != 2 || w.st.succeeded != 2 || w.st.reqTimes.n != 2 {
		t.Fatalf("measured requests: %+v", w.st)
	}
}

// TestWorkerAllocsLogFile: --log-file keeps the request path free of
// allocations (lines go to a reused buffer, written in batches).
func TestWorkerAllocsLogFile(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	w, srv := newMemWorker(t, "-n", "1000000", "-m", "4", "--log-file", filepath.Join(t.TempDir(), "log"))
	now := time.Now()
	w.pump(now)
	round := answerOne(w, srv, now)
	for range 2000 {
		round() // warm up, past a few log flushes
	}
	if allocs := testing.AllocsPerRun(2000, round); allocs != 0 {
		t.Errorf("%.2f allocations per request with --log-file, want 0", allocs)
	}
	if err := w.plan.close(); err != nil {
		t.Fatal(err)
	}
}

// Every flag of bench is in its -h and in the README's bench section.
func TestBenchFlagsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ short, long string }{
		{"-n", "--requests"}, {"-D", "--duration"}, {"", "--warm-up-time"}, {"-c", "--clients"},
		{"-r", "--rate"}, {"", "--rate-period"}, {"-m", "--max-concurrent-streams"}, {"-H", "--header"},
		{"-d", "--data"}, {"-X", "--method"}, {"-u", "--upgrade"}, {"-k", "--insecure"},
		{"", "--cacert"}, {"", "--keylog"}, {"-w", "--window-bits"}, {"-W", "--connection-window-bits"},
		{"-t", "--timeout"}, {"-T", "--connection-inactivity-timeout"}, {"-i", "--input-file"},
		{"", "--log-file"}, {"-v", "--verbose"}, {"", "--json"}, {"-h", "--help"},
	} {
		line := "  " + f.short + ", " + f.long + " "
		if f.short == "" {
			line = "      " + f.long + " "
		}
		if !strings.Contains(benchUsage, line) && !strings.Contains(benchUsage, strings.TrimSuffix(line, " ")+"\n") {
			t.Errorf("bench -h lacks %q", line)
		}
		// Both names must be accepted.
		for _, name := range []string{f.short, f.long} {
			if name == "" || name == "-h" || name == "--help" {
				continue
			}
			if _, err := parseBenchArgs([]string{name + "=1", "http://h/"}); err != nil && strings.Contains(err.Error(), "not defined") {
				t.Errorf("%s: %v", name, err)
			}
		}
		if f.short == "-h" || f.long == "--header" || f.long == "--requests" || f.long == "--duration" ||
			f.long == "--clients" || f.long == "--max-concurrent-streams" || f.long == "--upgrade" || f.long == "--insecure" {
			continue // in the README before issue 14, by their short names
		}
		name := f.long
		if f.short != "" {
			name = f.short
		}
		// `-v`, `-v D`, [-v] or [-v D], not -v inside another word.
		if !regexp.MustCompile("[`\\[]" + regexp.QuoteMeta(name) + "[` \\]]").Match(readme) {
			t.Errorf("README lacks bench's %s", name)
		}
	}
}
