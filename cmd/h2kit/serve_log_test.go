package main

import (
	"bytes"
	"context"
	"log/slog"
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
	paths := []string{"/", "", "/a b", "/a=b", `/"q"`, "/x\x7fy", "/t\tab", "/é", "/\xff", "/\u00a0", `/back\slash`, "/\u2028", "/?q=1&r=2"}
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
		got := appendAccessLine(nil, tm, accessEntry{
			method: "GET", path: p, status: 200 + i, bytes: int64(i * 1000), duration: d,
			proto: "HTTP/2.0", remote: "[::1]:1234", stream: stream, pushed: pushed,
		})
		if string(got) != want.String() {
			t.Errorf("path %q:\n got %q\nwant %q", p, got, want.String())
		}
	}
}
