package main

// This file holds the bounded record of durations h2kit bench keeps per
// worker: exact count, min, max, mean and standard deviation, and a
// uniform random sample (reservoir sampling) for the percentiles, so that
// a run of any length (-n 1e11, -D 24h) uses bounded memory.

import (
	"math"
	"slices"
	"time"
)

// maxSamples bounds the durations kept for percentiles, over all workers
// of a run; each worker keeps its share.
const maxSamples = 1 << 20

// sampler records durations. Up to its capacity every duration is kept,
// and the summary is exact; past it, the kept ones are a uniform sample
// (Vitter's algorithm R) and only the percentiles and the share within
// one standard deviation are estimates.
type sampler struct {
	n        int64
	min, max time.Duration
	mean, m2 float64 // Welford's running mean and sum of squared deviations
	kept     []time.Duration
	limit    int    // capacity of kept
	rng      uint64 // xorshift state for the reservoir
}

// newSampler returns a sampler keeping at most limit durations.
func newSampler(limit int) sampler {
	return sampler{limit: max(limit, 1), rng: 0x9e3779b97f4a7c15}
}

// add records d. It does not allocate once kept has grown to its limit.
func (s *sampler) add(d time.Duration) {
	s.record(d)
	if len(s.kept) < s.limit {
		s.kept = append(s.kept, d)
		return
	}
	// Keep d with probability limit/n, in place of a random kept one.
	if j := s.next() % uint64(s.n); j < uint64(s.limit) {
		s.kept[j] = d
	}
}

// record adds d to the aggregates (count, min, max, mean, deviation).
func (s *sampler) record(d time.Duration) {
	s.n++
	if s.n == 1 || d < s.min {
		s.min = d
	}
	if d > s.max {
		s.max = d
	}
	x := float64(d)
	delta := x - s.mean
	s.mean += delta / float64(s.n)
	s.m2 += delta * (x - s.mean)
}

func (s *sampler) next() uint64 {
	s.rng ^= s.rng << 13
	s.rng ^= s.rng >> 7
	s.rng ^= s.rng << 17
	return s.rng
}

// merge adds o's record to s (the aggregates exactly, by Chan's parallel
// formula; the kept samples side by side).
func (s *sampler) merge(o *sampler) {
	if o.n == 0 {
		return
	}
	if s.n == 0 || o.min < s.min {
		s.min = o.min
	}
	if o.max > s.max {
		s.max = o.max
	}
	n := s.n + o.n
	delta := o.mean - s.mean
	s.m2 += o.m2 + delta*delta*float64(s.n)*float64(o.n)/float64(n)
	s.mean += delta * float64(o.n) / float64(n)
	s.n = n
	s.kept = append(s.kept, o.kept...)
}

// summary describes the recorded durations. The standard deviation is the
// population one (divided by N); percentiles are by nearest rank over the
// kept samples: the smallest one with at least p% of them at or below it.
func (s *sampler) summary() latencySummary {
	if s.n == 0 {
		return latencySummary{}
	}
	sorted := s.kept
	slices.Sort(sorted)
	mean := s.mean
	sd := math.Sqrt(s.m2 / float64(s.n))
	within := 0
	for _, d := range sorted {
		if math.Abs(float64(d)-mean) <= sd {
			within++
		}
	}
	return latencySummary{
		N:        int(s.n),
		Min:      s.min,
		Max:      s.max,
		Mean:     time.Duration(math.Round(mean)),
		SD:       time.Duration(math.Round(sd)),
		P50:      percentile(sorted, 50),
		P90:      percentile(sorted, 90),
		P99:      percentile(sorted, 99),
		WithinSD: 100 * float64(within) / float64(max(len(sorted), 1)),
	}
}
