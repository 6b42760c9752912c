package main

// This file runs a benchmark plan: one goroutine per connection (started
// at once, or -r at a time), a progress line on a terminal, and the merge
// of the results.

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// progressInterval is how often the progress line is redrawn.
const progressInterval = 200 * time.Millisecond

// runPlan runs p as o says, from start, and returns the result. When
// progress is not nil (a terminal), a progress line is drawn on it during
// the run and erased at the end.
//
// With -r, the connections are opened -r at a time, one batch per
// --rate-period, the first at start. With --warm-up-time, the requests
// started in the warm-up are not counted and the measured duration (-D)
// starts after it.
func runPlan(p *benchPlan, o *benchOptions, progress io.Writer, start time.Time) *benchResult {
	var done atomic.Int64
	var measure, end time.Time
	if o.duration > 0 {
		if o.warmUp > 0 {
			measure = start.Add(o.warmUp)
		}
		end = start.Add(o.warmUp + o.duration)
	}
	workers := make([]*worker, o.conns)
	for i := range workers {
		quota := -1
		if o.requests > 0 {
			quota = o.requests / o.conns
			if i < o.requests%o.conns {
				quota++
			}
		}
		w := newWorker(p, p.tlsConfig, quota, end, &done)
		w.id = i + 1
		if o.conns > 1 {
			w.prefix = "[id=" + strconv.Itoa(w.id) + "] "
		}
		w.measure, w.warm = measure, !measure.IsZero()
		workers[i] = w
	}

	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if progress != nil {
		pwg.Go(func() { drawProgress(progress, stop, start, &done, o) })
	}
	var wg sync.WaitGroup
	if o.rate == 0 {
		for _, w := range workers {
			wg.Go(w.run)
		}
	} else {
		tick := time.NewTicker(o.ratePeriod)
		for i := 0; i < len(workers); i += o.rate {
			if i > 0 {
				<-tick.C
			}
			for _, w := range workers[i:min(i+o.rate, len(workers))] {
				wg.Go(w.run)
			}
		}
		tick.Stop()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if o.warmUp > 0 {
		elapsed = max(elapsed-o.warmUp, 0)
	}
	close(stop)
	pwg.Wait()
	return mergeResults(workers, elapsed, o)
}

// drawProgress redraws one line until stop is closed, then erases it.
func drawProgress(w io.Writer, stop <-chan struct{}, start time.Time, done *atomic.Int64, o *benchOptions) {
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			fmt.Fprint(w, "\r\x1b[K")
			return
		case now := <-t.C:
			el := now.Sub(start)
			n := done.Load()
			rate := float64(n) / el.Seconds()
			if el < o.warmUp {
				fmt.Fprintf(w, "\r\x1b[Kprogress: warming up, %s/%s", el.Truncate(time.Second/10), o.warmUp)
				continue
			}
			el -= o.warmUp
			if o.warmUp > 0 {
				rate = float64(n) / el.Seconds()
			}
			if o.requests > 0 {
				fmt.Fprintf(w, "\r\x1b[Kprogress: %3d%% (%d/%d done), %.0f req/s", 100*n/int64(o.requests), n, o.requests, rate)
			} else {
				fmt.Fprintf(w, "\r\x1b[Kprogress: %s/%s, %d done, %.0f req/s", el.Truncate(time.Second/10), o.duration, n, rate)
			}
		}
	}
}
