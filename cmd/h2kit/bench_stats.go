package main

// This file turns the workers' counts and samples into the figures h2kit
// bench prints, as text (laid out like h2load's) or as JSON.

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// latencySummary describes a set of durations.
type latencySummary struct {
	N                  int
	Min, Max, Mean, SD time.Duration
	P50, P90, P99      time.Duration
	WithinSD           float64 // share of samples within mean ± sd, in percent
}

// summarize sorts samples in place and describes them, as a sampler
// that kept them all would (see sampler.summary).
func summarize(samples []time.Duration) latencySummary {
	s := newSampler(len(samples))
	for _, d := range samples {
		s.record(d)
	}
	s.kept = samples
	return s.summary()
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// benchResult is the outcome of a run.
type benchResult struct {
	total                                     int64 // requests asked for with -n (0 with -D)
	started, done, succeeded, failed, errored int64
	timeout                                   int64 // errored by -t or -T
	responses                                 int64 // completed with a response, any status
	status                                    [6]int64
	duration                                  time.Duration
	bytesIn, bytesOut                         int64
	headerBytes, headerRaw, dataBytes         int64
	req, connect, ttfb                        latencySummary
	conns, streams                            int
	errors                                    []string // distinct connection errors, with counts
}

// mergeResults adds up the workers' stats.
func mergeResults(workers []*worker, elapsed time.Duration, o *benchOptions) *benchResult {
	r := &benchResult{total: int64(o.requests), duration: elapsed, conns: o.conns, streams: o.streams}
	var reqs, conns, ttfbs sampler
	count := map[string]int{}
	var order []string
	for _, w := range workers {
		s := &w.st
		r.started += s.started
		r.done += s.done
		r.succeeded += s.succeeded
		r.failed += s.failed
		r.errored += s.errored
		r.timeout += s.timeout
		r.responses += s.responses
		for i := range s.status {
			r.status[i] += s.status[i]
		}
		r.bytesIn += s.bytesIn
		r.bytesOut += s.bytesOut
		r.headerBytes += s.headerBytes
		r.headerRaw += s.headerRaw
		r.dataBytes += s.dataBytes
		reqs.merge(&s.reqTimes)
		conns.merge(&s.connectTimes)
		ttfbs.merge(&s.ttfbTimes)
		for _, e := range s.errs {
			if count[e] == 0 {
				order = append(order, e)
			}
			count[e]++
		}
	}
	for _, e := range order {
		if n := count[e]; n > 1 {
			e = fmt.Sprintf("%s (%d connections)", e, n)
		}
		r.errors = append(r.errors, e)
	}
	r.req, r.connect, r.ttfb = reqs.summary(), conns.summary(), ttfbs.summary()
	return r
}

// reqPerSec is responses completed per second, whatever their status, as
// h2load counts it: a server answering 500 quickly is fast, and the status
// classes say how it answered.
func (r *benchResult) reqPerSec() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.responses) / r.duration.Seconds()
}

// totalRequests is the "total" of the report: what -n asked for, or with
// -D the requests started.
func (r *benchResult) totalRequests() int64 {
	if r.total == 0 {
		return r.started
	}
	return r.total
}

// bytesPerSec is bytes received per second.
func (r *benchResult) bytesPerSec() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.bytesIn) / r.duration.Seconds()
}

// headerSavings is the share of header bytes HPACK saved, in percent.
func (r *benchResult) headerSavings() float64 {
	if r.headerRaw == 0 {
		return 0
	}
	return 100 * (1 - float64(r.headerBytes)/float64(r.headerRaw))
}

// writeText prints the result laid out like h2load's.
func (r *benchResult) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "finished in %s, %.2f req/s, %s/s\n", fmtDuration(r.duration), r.reqPerSec(), fmtBytes(r.bytesPerSec()))
	fmt.Fprintf(&b, "requests: %d total, %d started, %d done, %d succeeded, %d failed, %d errored, %d timeout\n",
		r.totalRequests(), r.started, r.done, r.succeeded, r.failed, r.errored, r.timeout)
	fmt.Fprintf(&b, "status codes: %d 2xx, %d 3xx, %d 4xx, %d 5xx\n", r.status[2], r.status[3], r.status[4], r.status[5])
	fmt.Fprintf(&b, "traffic: %s (%d) total, %s (%d) headers (space savings %.2f%%), %s (%d) data, %s (%d) sent\n",
		fmtBytes(float64(r.bytesIn)), r.bytesIn, fmtBytes(float64(r.headerBytes)), r.headerBytes, r.headerSavings(),
		fmtBytes(float64(r.dataBytes)), r.dataBytes, fmtBytes(float64(r.bytesOut)), r.bytesOut)
	fmt.Fprintf(&b, "%-18s%10s  %10s  %10s  %10s  %10s  %10s  %10s  %8s\n", "", "min", "max", "mean", "sd", "p50", "p90", "p99", "+/- sd")
	row := func(name string, s latencySummary) {
		fmt.Fprintf(&b, "%-18s", name)
		for _, d := range []time.Duration{s.Min, s.Max, s.Mean, s.SD, s.P50, s.P90, s.P99} {
			fmt.Fprintf(&b, "%10s  ", fmtDuration(d))
		}
		fmt.Fprintf(&b, "%7.2f%%\n", s.WithinSD)
	}
	row("time for request:", r.req)
	row("time for connect:", r.connect)
	row("time to 1st byte:", r.ttfb)
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyJSON is a latencySummary in milliseconds.
type latencyJSON struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	Max   float64 `json:"max"`
	SD    float64 `json:"sd"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
}

func (s latencySummary) json() latencyJSON {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return latencyJSON{Count: s.N, Min: ms(s.Min), Mean: ms(s.Mean), Max: ms(s.Max), SD: ms(s.SD),
		P50: ms(s.P50), P90: ms(s.P90), P99: ms(s.P99)}
}

// benchJSON is the --json output: the same figures as the text, from the
// same benchResult. Total is what -n asked for, or with -D the requests
// started; Done is succeeded + failed + errored; Timeout counts the
// errored requests that timed out (-t, -T); Responses counts the
// responses completed (any status), the basis of req_per_s.
type benchJSON struct {
	Total       int64            `json:"total"`
	Started     int64            `json:"started"`
	Done        int64            `json:"done"`
	Succeeded   int64            `json:"succeeded"`
	Failed      int64            `json:"failed"`
	Errored     int64            `json:"errored"`
	Timeout     int64            `json:"timeout"`
	Responses   int64            `json:"responses"`
	Status      map[string]int64 `json:"status"`
	DurationS   float64          `json:"duration_s"`
	ReqPerS     float64          `json:"req_per_s"`
	BytesPerS   float64          `json:"bytes_per_s"`
	BytesTotal  int64            `json:"bytes_total"`
	BytesHeader int64            `json:"bytes_headers"`
	BytesData   int64            `json:"bytes_data"`
	BytesSent   int64            `json:"bytes_sent"`
	Conns       int              `json:"connections"`
	Streams     int              `json:"max_concurrent_streams"`
	Latency     latencyJSON      `json:"latency_ms"`
	Connect     latencyJSON      `json:"connect_ms"`
	TTFB        latencyJSON      `json:"ttfb_ms"`
	Errors      []string         `json:"errors,omitempty"`
}

// writeJSON prints the result as one JSON object.
func (r *benchResult) writeJSON(w io.Writer) error {
	round := func(x float64) float64 { return math.Round(x*100) / 100 }
	v := benchJSON{
		Total: r.totalRequests(), Started: r.started, Done: r.done,
		Succeeded: r.succeeded, Failed: r.failed, Errored: r.errored, Timeout: r.timeout, Responses: r.responses,
		Status: map[string]int64{
			"2xx": r.status[2], "3xx": r.status[3], "4xx": r.status[4], "5xx": r.status[5],
		},
		DurationS:   math.Round(r.duration.Seconds()*1e6) / 1e6,
		ReqPerS:     round(r.reqPerSec()),
		BytesPerS:   round(r.bytesPerSec()),
		BytesTotal:  r.bytesIn,
		BytesHeader: r.headerBytes,
		BytesData:   r.dataBytes,
		BytesSent:   r.bytesOut,
		Conns:       r.conns,
		Streams:     r.streams,
		Latency:     r.req.json(),
		Connect:     r.connect.json(),
		TTFB:        r.ttfb.json(),
		Errors:      r.errors,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// fmtDuration prints d as h2load does: whole microseconds below 1ms,
// then milliseconds or seconds with two decimals.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// fmtBytes prints a byte count with a binary unit (B, KB, MB, GB: powers
// of 1024, as h2load).
func fmtBytes(n float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0fB", n)
	}
	return fmt.Sprintf("%.2f%s", n, units[i])
}
