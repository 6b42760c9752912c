package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestSummarize(t *testing.T) {
	// 1..100 ms, shuffled.
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, ms(float64(i)))
	}
	got := summarize(s)
	if got.N != 100 || got.Min != ms(1) || got.Max != ms(100) {
		t.Fatalf("n/min/max: %+v", got)
	}
	if got.Mean != ms(50.5) {
		t.Errorf("mean %v, want 50.5ms", got.Mean)
	}
	// Population sd of 1..100 is sqrt((100^2-1)/12) = 28.8660...
	wantSD := time.Duration(math.Round(math.Sqrt((100*100-1)/12.0) * 1e6))
	if d := got.SD - wantSD; d < -1 || d > 1 {
		t.Errorf("sd %v, want %v", got.SD, wantSD)
	}
	if got.P50 != ms(50) || got.P90 != ms(90) || got.P99 != ms(99) {
		t.Errorf("p50 %v p90 %v p99 %v, want 50ms 90ms 99ms", got.P50, got.P90, got.P99)
	}
	// mean ± sd = 21.6..79.4: 58 samples (22..79).
	if got.WithinSD != 58 {
		t.Errorf("within sd %.2f%%, want 58%%", got.WithinSD)
	}
	if !slices.IsSorted(s) {
		t.Error("samples not sorted in place")
	}
}

func TestSummarizeSmall(t *testing.T) {
	if got := summarize(nil); got != (latencySummary{}) {
		t.Errorf("empty: %+v", got)
	}
	one := summarize([]time.Duration{ms(7)})
	if one.Min != ms(7) || one.Max != ms(7) || one.Mean != ms(7) || one.SD != 0 || one.P50 != ms(7) || one.P99 != ms(7) || one.WithinSD != 100 {
		t.Errorf("one sample: %+v", one)
	}
	two := summarize([]time.Duration{ms(4), ms(2)})
	if two.Mean != ms(3) || two.SD != ms(1) || two.P50 != ms(2) || two.P90 != ms(4) {
		t.Errorf("two samples: %+v", two)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	s := []time.Duration{10, 20, 30, 40, 50}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{1, 10}, {20, 10}, {21, 20}, {50, 30}, {80, 40}, {81, 50}, {99, 50}, {100, 50}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestParseBenchArgs(t *testing.T) {
	o, err := parseBenchArgs([]string{"-n", "100", "--clients=4", "-m", "10",
		"-H", "x-a: 1", "--header", ":authority: other", "http://h:8080/a", "-k", "http://h:8080/b?q=1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.requests != 100 || o.conns != 4 || o.streams != 10 || !o.tls.insecure || o.upgrade || o.json {
		t.Errorf("options %+v", o)
	}
	if len(o.urls) != 2 || o.urls[1].RequestURI() != "/b?q=1" {
		t.Errorf("urls %v", o.urls)
	}
	want := []hpack.Field{{Name: "x-a", Value: "1"}, {Name: ":authority", Value: "other"}}
	if !slices.Equal(o.headers, want) {
		t.Errorf("headers %v", o.headers)
	}

	o, err = parseBenchArgs([]string{"--duration", "1.5", "--json", "-u", "http://h/"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 1500*time.Millisecond || o.requests != 0 || !o.json || !o.upgrade {
		t.Errorf("options %+v", o)
	}
	if o, err = parseBenchArgs([]string{"-D", "2m", "http://h/"}); err != nil || o.duration != 2*time.Minute {
		t.Errorf("-D 2m: %v %v", o, err)
	}
	if _, err := parseBenchArgs([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestParseBenchArgsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no URL"},
		{[]string{"-n", "0", "http://h/"}, "at least 1"},
		{[]string{"-n", "10", "-D", "1s", "http://h/"}, "cannot be used together"},
		{[]string{"-n", "2", "-c", "3", "http://h/"}, "larger than -n"},
		{[]string{"-m", "0", "http://h/"}, "must be 1 to"},
		{[]string{"-c", "0", "http://h/"}, "must be 1 to"},
		{[]string{"-D", "soon", "http://h/"}, "invalid duration"},
		{[]string{"-D", "-1", "http://h/"}, "positive"},
		{[]string{"-w", "40", "http://h/"}, "0 to 30"},
		{[]string{"-W", "31", "http://h/"}, "0 to 30"},
		{[]string{"ftp://h/"}, "http or https"},
		{[]string{"http:///x"}, "no host"},
		{[]string{"http://a/", "http://b/"}, "share the scheme"},
		{[]string{"http://a/", "https://a/"}, "share the scheme"},
		{[]string{"-u", "https://a/"}, "http://"},
		{[]string{"-H", "novalue", "http://h/"}, "name: value"},
		{[]string{"-H", "connection: close", "http://h/"}, "connection-specific"},
		{[]string{"-H", ":status: 200", "http://h/"}, "pseudo-header"},
		{[]string{"-H", "content-length: 3", "http://h/"}, "-d"},
		{[]string{"--bogus", "http://h/"}, "not defined"},
	} {
		_, err := parseBenchArgs(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestRequestFields(t *testing.T) {
	u := mustURL(t, "https://example.com:8443/p?x=1")
	got := requestFields(u, "POST", []hpack.Field{
		{Name: "user-agent", Value: "me"},
		{Name: "host", Value: "h.example"},
		{Name: "accept", Value: "*/*"},
		{Name: ":method", Value: "PUT"},
	}, []byte("abc"))
	want := []hpack.Field{
		{Name: ":method", Value: "PUT"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "h.example"},
		{Name: ":path", Value: "/p?x=1"},
		{Name: "user-agent", Value: "me"},
		{Name: "content-length", Value: "3"},
		{Name: "accept", Value: "*/*"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	got = requestFields(mustURL(t, "http://h"), "GET", nil, nil)
	if fieldValue(got, ":path") != "/" || fieldValue(got, ":method") != "GET" || fieldIndex(got, "content-length") >= 0 {
		t.Errorf("fields %v", got)
	}
}

func TestUpgradeRequest(t *testing.T) {
	fields := requestFields(mustURL(t, "http://h:81/x"), "POST", []hpack.Field{{Name: "x-y", Value: "z"}}, []byte("body"))
	got := string(upgradeRequest(fields, "AAMAAABk", []byte("body")))
	want := "POST /x HTTP/1.1\r\nHost: h:81\r\nuser-agent: h2kit-bench\r\ncontent-length: 4\r\nx-y: z\r\n" +
		"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\nbody"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestHeaderScanner(t *testing.T) {
	var wire []byte
	s := frame.Settings{}
	wire = s.Append(wire)
	h := frame.Headers{StreamID: 1, BlockFragment: make([]byte, 30)}
	wire = h.Append(wire)
	k := frame.Continuation{StreamID: 1, EndHeaders: true, BlockFragment: make([]byte, 7)}
	wire = k.Append(wire)
	d := frame.Data{StreamID: 1, Data: make([]byte, 1000)}
	wire = d.Append(wire)
	h = frame.Headers{StreamID: 3, EndHeaders: true, BlockFragment: make([]byte, 5)}
	wire = h.Append(wire)
	for _, chunk := range []int{1, 2, 5, 9, 100, len(wire)} {
		var sc headerScanner
		var n int64
		for b := wire; len(b) > 0; {
			c := min(chunk, len(b))
			n += sc.scan(b[:c])
			b = b[c:]
		}
		if n != 42 {
			t.Errorf("chunks of %d: %d header bytes, want 42", chunk, n)
		}
	}
}

func sampleResult() *benchResult {
	r := &benchResult{
		total: 100, started: 100, done: 100, succeeded: 97, failed: 2, errored: 1, timeout: 1,
		responses: 99, // 90 2xx, 7 3xx, 2 4xx
		status:    [6]int64{0, 0, 90, 7, 2, 0},
		duration:  2 * time.Second, bytesIn: 3 << 20, bytesOut: 2048,
		headerBytes: 100, headerRaw: 1000, dataBytes: 1 << 20,
		conns: 2, streams: 10,
		errors: []string{"boom"},
	}
	r.req = summarize([]time.Duration{ms(1), ms(2), ms(3)})
	r.connect = summarize([]time.Duration{500 * time.Microsecond, ms(1.5)})
	r.ttfb = summarize([]time.Duration{ms(2), ms(4)})
	return r
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().writeText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"finished in 2.00s, 49.50 req/s, 1.50MB/s\n",
		"requests: 100 total, 100 started, 100 done, 97 succeeded, 2 failed, 1 errored, 1 timeout\n",
		"status codes: 90 2xx, 7 3xx, 2 4xx, 0 5xx\n",
		"traffic: 3.00MB (3145728) total, 100B (100) headers (space savings 90.00%), 1.00MB (1048576) data, 2.00KB (2048) sent\n",
		"time for request:",
		"time for connect:      500us      1.50ms",
		"time to 1st byte:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 {
		t.Errorf("%d lines, want 8:\n%s", len(lines), out)
	}
	// The table columns line up with the header row.
	head, row := lines[4], lines[5]
	if i, j := strings.Index(head, "p99")+3, strings.LastIndex(row, "3.00ms")+6; i != j {
		t.Errorf("columns do not line up:\n%s\n%s", head, row)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	for k, want := range map[string]float64{
		"total": 100, "done": 100, "succeeded": 97, "failed": 2, "errored": 1, "timeout": 1, "responses": 99,
		"duration_s": 2, "req_per_s": 49.5, "bytes_per_s": 3 << 20 / 2,
	} {
		if got, ok := v[k].(float64); !ok || got != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	lat, ok := v["latency_ms"].(map[string]any)
	if !ok {
		t.Fatalf("latency_ms missing: %s", b.String())
	}
	for k, want := range map[string]float64{"min": 1, "mean": 2, "max": 3, "p50": 2, "p90": 3, "p99": 3} {
		if lat[k] != want {
			t.Errorf("latency_ms.%s = %v, want %v", k, lat[k], want)
		}
	}
	if e, _ := v["errors"].([]any); len(e) != 1 {
		t.Errorf("errors = %v", v["errors"])
	}
}

func TestFormatUnits(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0us"}, {999 * time.Microsecond, "999us"}, {time.Millisecond, "1.00ms"}, {1234567 * time.Microsecond, "1.23s"}} {
		if got := fmtDuration(c.d); got != c.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		n    float64
		want string
	}{{0, "0B"}, {1023, "1023B"}, {1024, "1.00KB"}, {1536 << 10, "1.50MB"}, {5 << 30, "5.00GB"}} {
		if got := fmtBytes(c.n); got != c.want {
			t.Errorf("fmtBytes(%v) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestNewBenchPlanData(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "body")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parseBenchArgs([]string{"-d", "@" + file, "-u", "http://h/a", "http://h/b"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := newBenchPlan(o)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.body) != "hello" || len(p.requests) != 2 || !p.upgrade || p.addr != "h:80" {
		t.Fatalf("plan %+v", p)
	}
	r := p.requests[1]
	if fieldValue(r.fields, ":method") != "POST" || fieldValue(r.fields, ":path") != "/b" ||
		!bytes.HasPrefix(r.upgrade, []byte("POST /b HTTP/1.1\r\n")) || !bytes.HasSuffix(r.upgrade, []byte("\r\n\r\nhello")) {
		t.Fatalf("request %+v", r)
	}
	// A missing file is a file error (exit status 1), not a usage error.
	_, err = parseBenchArgs([]string{"-d", "@" + filepath.Join(dir, "missing"), "http://h/"})
	var fe *fileError
	if !errors.As(err, &fe) {
		t.Fatalf("missing -d file: error %v, want a *fileError", err)
	}
}

func TestDispatch(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := run(); code != exitUsage || !strings.Contains(errs, "usage: h2kit") {
		t.Errorf("no args: %d %q", code, errs)
	}
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "bench") || !strings.Contains(out, "serve") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, out, _ := run("help", "bench"); code != 0 || !strings.Contains(out, "usage: h2kit bench") {
		t.Errorf("help bench: %d %q", code, out)
	}
	if code, out, _ := run("bench", "-h"); code != 0 || !strings.Contains(out, "--max-concurrent-streams") {
		t.Errorf("bench -h: %d %q", code, out)
	}
	if code, out, _ := run("version"); code != 0 || !strings.HasPrefix(out, "h2kit ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := run("nope"); code != exitUsage || !strings.Contains(errs, `unknown command "nope"`) {
		t.Errorf("unknown: %d %q", code, errs)
	}
	for _, name := range []string{"get", "serve"} {
		if _, ok := commands[name]; !ok {
			t.Errorf("%s is not registered", name)
		}
	}
	if code, _, errs := run("bench", "-n", "x", "http://h/"); code != exitUsage || !strings.Contains(errs, "invalid value") {
		t.Errorf("bench bad flag: %d %q", code, errs)
	}
}
