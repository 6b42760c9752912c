package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Counts a user may type by mistake are usage errors (exit 2), not a
// crash or an attempt to allocate for them.
func TestBenchCountBounds(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"-m", "99999999999"}, "-m 99999999999"},
		{[]string{"-c", "200000", "-n", "200000"}, "-c 200000"},
		{[]string{"-m", "0"}, "-m 0"},
		{[]string{"-c", "0"}, "-c 0"},
		{[]string{"-n", "0"}, "-n 0"},
		{[]string{"-n", "999999999999999999999999"}, "-n"}, // beyond int64
	} {
		code, _, errs := runH2kit(t, append(append([]string{"bench"}, tc.args...), "http://127.0.0.1:1/")...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "goroutine ") {
			t.Errorf("bench %q: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, errs, tc.want)
		}
	}
}

// Huge -n and -m cost nothing up front: slots are made for the streams in
// flight, samples are bounded (issue: -n 99999999999 allocated 800 GB,
// -m 10000000 took 750 MB for one request).
func TestBenchHugeCountsAllocateLazily(t *testing.T) {
	o, err := parseBenchArgs([]string{"-n", "99999999999", "-m", "10000000", "http://example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := newBenchPlan(o)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w := newWorker(p, nil, o.requests, time.Time{}, nil)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("newWorker for -n 99999999999 -m 10000000 allocated %d bytes", grew)
	}
	runtime.KeepAlive(w)

	// Requests in flight take slots as they go.
	w2, srv := newMemWorker(t, "-n", "5", "-m", "10000000")
	w2.fill(time.Now())
	if w2.inflight != 5 || len(w2.slots) != 5 {
		t.Errorf("5 requests with -m 10000000: %d in flight, %d slots", w2.inflight, len(w2.slots))
	}
	_ = srv
}

// A sampler keeps at most its limit; the aggregates stay exact.
func TestSamplerBounded(t *testing.T) {
	s := newSampler(100)
	const n = 100000
	var sum float64
	for i := 1; i <= n; i++ {
		d := time.Duration(i) * time.Microsecond
		s.add(d)
		sum += float64(d)
	}
	if len(s.kept) != 100 || cap(s.kept) > 256 {
		t.Fatalf("kept %d (cap %d), want 100", len(s.kept), cap(s.kept))
	}
	got := s.summary()
	if got.N != n || got.Min != time.Microsecond || got.Max != n*time.Microsecond {
		t.Fatalf("summary %+v", got)
	}
	if want := time.Duration(sum / n); got.Mean-want > 1 || want-got.Mean > 1 {
		t.Errorf("mean %v, want %v", got.Mean, want)
	}
	// A uniform sample of 1..100000 µs: its median is near 50 ms (the
	// standard error of a median of 100 samples is 5% of the range).
	if got.P50 < 30*time.Millisecond || got.P50 > 70*time.Millisecond {
		t.Errorf("p50 %v of a uniform sample of 1µs..100ms", got.P50)
	}

	// Merging keeps the exact aggregates.
	a, b := newSampler(10), newSampler(10)
	for i := 1; i <= 50; i++ {
		a.add(time.Duration(i))
		b.add(time.Duration(100 + i))
	}
	a.merge(&b)
	m := a.summary()
	if m.N != 100 || m.Min != 1 || m.Max != 150 || m.Mean != 76 { // mean of 1..50 and 101..150 is 75.5
		t.Errorf("merged %+v", m)
	}
}

// The text and the JSON report the same figures (issue: "total": 0 where
// the text said 98 total), also with -D, where total is what started.
func TestBenchTextAndJSONAgree(t *testing.T) {
	r := sampleResult()
	r.total = 0 // -D
	var text, js strings.Builder
	if err := r.writeText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "requests: 100 total,") || !strings.Contains(js.String(), `"total": 100,`) {
		t.Errorf("text and JSON disagree on total:\n%s\n%s", text.String(), js.String())
	}
	if strings.Contains(js.String(), `"requests"`) {
		t.Errorf("JSON still has the duplicate \"requests\":\n%s", js.String())
	}
}
