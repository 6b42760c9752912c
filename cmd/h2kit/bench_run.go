package main

// This file runs a benchmark plan: one goroutine per connection, a
// progress line on a terminal, and the merge of the results.

import (
	"crypto/tls"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressInterval is how often the progress line is redrawn.
const progressInterval = 200 * time.Millisecond

// runPlan runs p as o says and returns the result. When progress is not
// nil (a terminal), a progress line is drawn on it during the run and
// erased at the end.
func runPlan(p *benchPlan, o *benchOptions, progress io.Writer) *benchResult {
	var tlsConfig *tls.Config
	if p.tls {
		tlsConfig = &tls.Config{
			ServerName:         p.serverName,
			NextProtos:         []string{"h2"},
			InsecureSkipVerify: p.insecure, // -k, asked for by the user
		}
	}
	var done atomic.Int64
	workers := make([]*worker, o.conns)
	for i := range workers {
		quota := -1
		if o.requests > 0 {
			quota = o.requests / o.conns
			if i < o.requests%o.conns {
				quota++
			}
		}
		workers[i] = newWorker(p, tlsConfig, quota, time.Time{}, &done)
	}

	start := time.Now()
	if o.duration > 0 {
		for _, w := range workers {
			w.end = start.Add(o.duration)
		}
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(w.run)
	}
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	if progress != nil {
		pwg.Go(func() { drawProgress(progress, stop, start, &done, o) })
	}
	wg.Wait()
	elapsed := time.Since(start)
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
			if o.requests > 0 {
				fmt.Fprintf(w, "\r\x1b[Kprogress: %3d%% (%d/%d done), %.0f req/s", 100*n/int64(o.requests), n, o.requests, rate)
			} else {
				fmt.Fprintf(w, "\r\x1b[Kprogress: %s/%s, %d done, %.0f req/s", el.Truncate(time.Second/10), o.duration, n, rate)
			}
		}
	}
}
