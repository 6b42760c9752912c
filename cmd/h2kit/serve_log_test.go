package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAppendAccessLine: the access-log line formatted by hand is the one
// slog's TextHandler writes.
func TestAppendAccessLine(t *testing.T) {
	loc := time.FixedZone("X", 5*3600+1800)
	times := []time.Time{
		time.Date(2026, 11, 22, 1, 2, 3, 400_000_000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, loc),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local),
		time.Now(),
	}
	paths := []string{"/", "/index.html", "/a/b-c_d~e.f:g@h$i&j+k,l;m", "", "/a b", "/a=b", `/"q"`, "/x\x7fy", "/t\tab", "/é", "/\xff", "/\u00a0", `/back\slash`, "/\u2028", "/?q=1&r=2"}
	durs := []time.Duration{0, 81542 * time.Nanosecond, 3 * time.Second, 1500 * time.Millisecond}
	for i, p := range paths {
		tm := times[i%len(times)]
		d := durs[i%len(durs)]
		var want bytes.Buffer
		h := slog.NewTextHandler(&want, nil)
		rec := slog.NewRecord(tm, slog.LevelInfo, "request", 0)
		rec.AddAttrs(
			slog.String("method", "GET"),
			slog.String("path", p),
			slog.Int("status", 200+i),
			slog.Int64("bytes", int64(i*1000)),
			slog.Duration("duration", d),
			slog.String("proto", "HTTP/2.0"),
			slog.String("remote", "[::1]:1234"),
		)
		// The stream id and the push mark, on some lines.
		stream, pushed := uint32(i%3*2), i%2 == 1
		if stream != 0 {
			rec.AddAttrs(slog.Uint64("stream", uint64(stream)))
		}
		if pushed {
			rec.AddAttrs(slog.Bool("pushed", true))
		}
		if err := h.Handle(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		// A path plainPath finds without '=' is written as it is.
		_, plain := plainPath(p)
		got := appendAccessLine(nil, tm, &accessEntry{
			method: "GET", path: p, pathPlain: plain, status: 200 + i, bytes: int64(i * 1000), duration: d,
			proto: "HTTP/2.0", remote: "[::1]:1234", stream: stream, pushed: pushed,
		})
		if string(got) != want.String() {
			t.Errorf("path %q:\n got %q\nwant %q", p, got, want.String())
		}
	}
}

// TestAppendAccessLineAt: the line of a monotonic reading, made from the
// second's pieces (logSecondAt: with a GET, the zone and the fields up to
// the path in one), is the line of the time logWallTime gives for it
// (appendAccessLine, which TestAppendAccessLine checks against slog), for
// each method and for readings across second boundaries.
func TestAppendAccessLineAt(t *testing.T) {
	entries := []*accessEntry{
		{method: "GET", path: "/", pathPlain: true, status: 200, bytes: 13, duration: 81542, proto: "HTTP/2.0", remote: "127.0.0.1:40000", stream: 7},
		{method: "HEAD", path: "/a b", status: 200, duration: 999, proto: "HTTP/1.1", remote: "[::1]:1234"},
		{method: "POST", path: "/index.html", pathPlain: true, status: 405, bytes: 23, duration: 3 * time.Second, proto: "HTTP/2.0", remote: "127.0.0.1:1", stream: 1001, pushed: true},
		{method: "GET", path: "/x=y", status: 1000, bytes: -1, duration: 1500 * time.Microsecond, proto: "HTTP/1.0", remote: "a b"},
	}
	start := monoNow()
	for n := 0; n < 200 || monoNow()-start < int64(1100*time.Millisecond); n++ {
		mono := monoNow()
		e := entries[n%len(entries)]
		got := string(appendAccessLineAt(nil, mono, e))
		want := string(appendAccessLine(nil, logWallTime(mono), e))
		if got != want {
			t.Fatalf("reading %d:\n got %q\nwant %q", mono, got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// countingWriter records what is written to it and in how many writes.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) state() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

// TestAsyncWriter: lines written by several goroutines reach the writer
// without Close, each goroutine's in its order, whole, and gathered into
// fewer writes than lines; after Close nothing more is written.
func TestAsyncWriter(t *testing.T) {
	cw := &countingWriter{}
	a := newAsyncWriter(cw)
	const writers, lines = 4, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(a, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	var got string
	var writes int
	for deadline := time.Now().Add(5 * time.Second); ; {
		got, writes = cw.state()
		if strings.Count(got, "\n") == writers*lines || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	next := make([]int, writers)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		var g, i int
		if _, err := fmt.Sscanf(line, "g%d line %d", &g, &i); err != nil || g < 0 || g >= writers || i != next[g] {
			t.Fatalf("line %q out of order or torn (want g%d line %d)", line, g, next[max(0, min(g, writers-1))])
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d of %d lines written without Close", g, n, lines)
		}
	}
	if writes >= writers*lines {
		t.Errorf("%d writes for %d lines: not gathered", writes, writers*lines)
	}
	a.Close()
	fmt.Fprintf(a, "after close\n")
	time.Sleep(2 * asyncDelay)
	if got, _ := cw.state(); strings.Contains(got, "after close") {
		t.Errorf("written after Close")
	}
}

// TestAsyncWriterLateLines: an access-log line written while another
// goroutine holds the buffer's lock does not wait for it; it is written,
// whole and after the lines before it, once the lock is free (by the
// flusher without Close, and by Close). Each goroutine's lines stay in
// their order when many of them write at once.
func TestAsyncWriterLateLines(t *testing.T) {
	cw := &countingWriter{}
	a := newAsyncWriter(cw)
	entry := func(path string) *accessEntry {
		return &accessEntry{method: "GET", path: path, pathPlain: true, status: 200, bytes: 13, duration: 1500, proto: "HTTP/2.0", remote: "127.0.0.1:1", stream: 1}
	}
	a.writeAccessLine(monoNow(), entry("/first"))
	a.mu.Lock() // as a flusher or handler descheduled in it
	done := make(chan struct{})
	go func() {
		a.writeAccessLine(monoNow(), entry("/late1"))
		a.writeAccessLine(monoNow(), entry("/late2"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		a.mu.Unlock()
		t.Fatal("writeAccessLine waited for the buffer's lock")
	}
	a.mu.Unlock()
	var got string
	for deadline := time.Now().Add(5 * time.Second); strings.Count(got, "\n") < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		got, _ = cw.state()
	}
	paths := []string{}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		want := strings.Fields(string(appendAccessFields(nil, entry("/x"))))
		f := strings.Fields(line)
		if len(f) != len(want)+1 || !strings.HasPrefix(f[0], "time=") {
			t.Fatalf("torn line %q", line)
		}
		paths = append(paths, strings.TrimPrefix(f[4], "path="))
	}
	if strings.Join(paths, " ") != "/first /late1 /late2" {
		t.Errorf("lines %q, want /first /late1 /late2 in order, without Close", paths)
	}

	// Many writers, the lock often busy: every line once, in order.
	const writers, lines = 4, 300
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				a.writeAccessLine(monoNow(), entry(fmt.Sprintf("/g%d/%d", g, i)))
			}
		})
	}
	for range 50 {
		a.mu.Lock()
		time.Sleep(100 * time.Microsecond)
		a.mu.Unlock()
	}
	wg.Wait()
	a.Close()
	got, _ = cw.state()
	next := make([]int, writers)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n")[3:] {
		var g, i int
		f := strings.Fields(line)
		if _, err := fmt.Sscanf(f[4], "path=/g%d/%d", &g, &i); err != nil || g < 0 || g >= writers || i != next[g] {
			t.Fatalf("line %q out of order or torn", line)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d of %d lines written", g, n, lines)
		}
	}
}

// TestLogWallTime: the access log's time, derived from the monotonic
// clock, agrees with the system clock (within a second: it reads it at
// least once a second) and never goes back between two readings; the
// usual methods and protocols are written as appendLogString writes them.
func TestLogWallTime(t *testing.T) {
	prev := logWallTime(monoNow())
	for range 1000 {
		before := time.Now()
		got := logWallTime(monoNow())
		after := time.Now()
		if got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
			t.Fatalf("log time %v, system clock %v to %v", got, before, after)
		}
		if got.Before(prev) {
			t.Fatalf("log time went back: %v after %v", got, prev)
		}
		prev = got
	}
	for _, w := range []string{"GET", "HEAD", "POST", "HTTP/2.0", "HTTP/1.1", "PUT", "", "A B", "HTTP/1.0"} {
		if got, want := string(appendLogWord(nil, w)), string(appendLogString(nil, w)); got != want {
			t.Errorf("appendLogWord(%q) = %q, want %q", w, got, want)
		}
	}
}

// TestLogTarget: logTarget gives what URL.RequestURI gives, for plain
// paths, queries, escapes, raw paths and every single byte in a path.
func TestLogTarget(t *testing.T) {
	targets := []string{"/", "/index.html", "/a/b.css?v=1", "/a%2Fb", "/a%20b", "/caf%C3%A9", "/x?", "/$&+,;=:@-._~", "/a(b)", "/*", "*", "/a'b!"}
	for c := range 256 {
		targets = append(targets, "/x"+url.PathEscape(string(rune(c))), "/x%"+fmt.Sprintf("%02X", c))
	}
	for _, target := range targets {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			continue
		}
		got, noQuote := logTarget(u)
		if want := u.RequestURI(); got != want {
			t.Errorf("%q: logTarget %q, RequestURI %q", target, got, want)
		}
		if noQuote && logNeedsQuoting(got) {
			t.Errorf("%q: logTarget says %q needs no quoting", target, got)
		}
	}
	for c := range 256 { // paths as h2server may hand them: decoded bytes
		u := &url.URL{Path: "/a" + string([]byte{byte(c)}) + "b"}
		got, noQuote := logTarget(u)
		if want := u.RequestURI(); got != want {
			t.Errorf("byte %#x: logTarget %q, RequestURI %q", c, got, want)
		}
		if noQuote && logNeedsQuoting(got) {
			t.Errorf("byte %#x: logTarget says %q needs no quoting", c, got)
		}
		if plain, _ := plainPath(u.Path); plain && !noQuote && c != '=' {
			t.Errorf("byte %#x: %q needs quoting?", c, got)
		}
	}
}

// TestAppendLogNow: the access-log time of a monotonic reading, made from
// the second's text and the milliseconds since it began, is the text of
// the time logWallTime gives for it (appendLogTime), for readings over
// more than a second: across second boundaries and a new reading of the
// system clock.
func TestAppendLogNow(t *testing.T) {
	start := monoNow()
	seconds := map[string]bool{}
	for n := 0; n < 1000 || monoNow()-start < int64(1100*time.Millisecond); n++ {
		mono := monoNow()
		got := string(appendLogNow(nil, mono))
		want := string(appendLogTime(nil, logWallTime(mono)))
		if got != want {
			t.Fatalf("reading %d: %q, want %q", mono, got, want)
		}
		seconds[want[:len("2006-01-02T15:04:05")]] = true
		time.Sleep(100 * time.Microsecond)
	}
	if len(seconds) < 2 {
		t.Errorf("times of one second only: %v", seconds)
	}
}

// slogQuotes reports whether slog's TextHandler quotes s as a value: the
// rule logNeedsQuoting follows, taken from slog itself as the reference.
func slogQuotes(s string) bool {
	slogQuoteBuf.Reset()
	r := slog.NewRecord(time.Time{}, 0, "", 0)
	r.AddAttrs(slog.String("v", s))
	slogQuoteHandler.Handle(context.Background(), r)
	return strings.HasPrefix(slogQuoteBuf.String(), `v="`)
}

var (
	slogQuoteBuf     bytes.Buffer
	slogQuoteHandler = slog.NewTextHandler(&slogQuoteBuf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{} // the record's value alone
			}
			return a
		},
	})
)

// TestLogNeedsQuoting: logNeedsQuoting (eight bytes at a time) decides
// as slog's TextHandler for every byte value at every position
// of strings of 1 to 20 bytes, alone and after a byte that needs quoting,
// and for strings with multi-byte characters.
func TestLogNeedsQuoting(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for p := range n {
			for c := range 256 {
				for _, fill := range []byte{'a', '~', '!', 0x7f} {
					b := bytes.Repeat([]byte{fill}, n)
					b[p] = byte(c)
					if s := string(b); logNeedsQuoting(s) != slogQuotes(s) {
						t.Fatalf("%q: %v, want %v", s, logNeedsQuoting(s), slogQuotes(s))
					}
					if p+1 < n {
						b[p+1] = '=' // a match after c: c's borrow must not hide or fake one
						if s := string(b); logNeedsQuoting(s) != slogQuotes(s) {
							t.Fatalf("%q: %v, want %v", s, logNeedsQuoting(s), slogQuotes(s))
						}
					}
				}
			}
		}
	}
	for _, s := range []string{"", "127.0.0.1:40000", "[::1]:1234", "/caf\u00e9/menu.html", "/\u00a0nbsp", "/abcdefg\u2028", "/abcdefgh\xff", "/a b", "/index.html?x=1", "/" + strings.Repeat("x", 100) + "\"", "/日本語/パス"} {
		if logNeedsQuoting(s) != slogQuotes(s) {
			t.Errorf("%q: %v, want %v", s, logNeedsQuoting(s), slogQuotes(s))
		}
	}
}

// TestAppendLogDuration: the access log's durations are written as
// Duration.String writes them: every duration up to 3 µs, around each
// unit's bounds, a spread of others up to 3 s, zero and negative ones.
func TestAppendLogDuration(t *testing.T) {
	var ds []time.Duration
	for d := time.Duration(-3); d <= 3000; d++ {
		ds = append(ds, d)
	}
	for _, b := range []time.Duration{time.Microsecond, time.Millisecond, time.Second} {
		for k := time.Duration(-20); k <= 20; k++ {
			ds = append(ds, b+k, 10*b+k, 999*b+k, b+k*b/1000)
		}
	}
	for d := time.Duration(1); d < 3*time.Second; d = d*7/5 + 13 {
		ds = append(ds, d, d/10*10, d/1000*1000)
	}
	for _, d := range ds {
		if got := string(appendLogDuration(nil, d)); got != d.String() {
			t.Fatalf("%d ns: %q, want %q", int64(d), got, d.String())
		}
	}
}

// TestAppendLogUint: the access log's numbers are written as
// strconv.AppendUint writes them, around each power of ten up to the
// largest uint64.
func TestAppendLogUint(t *testing.T) {
	var ns []uint64
	for n := uint64(0); n <= 2000; n++ {
		ns = append(ns, n)
	}
	for p := uint64(10); p < 1e19; p *= 10 {
		for k := uint64(0); k <= 3; k++ {
			ns = append(ns, p-k, p+k)
		}
	}
	ns = append(ns, 999_999, 1_000_000, 123_456, 1<<63, 1<<64-1)
	for _, n := range ns {
		if got, want := string(appendLogUint([]byte("x"), n)), "x"+strconv.FormatUint(n, 10); got != want {
			t.Fatalf("%d: %q, want %q", n, got, want)
		}
	}
}
