package h2server

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The Date field of a response (RFC 9110, Section 6.6.1) counts whole
// seconds. Reading the clock for each response cost about 1.5% of the
// server's CPU under many small requests, so a timer keeps the current
// second's value, formatted, while responses use it: it wakes at each
// second's start, and stops after a second in which no response asked,
// so an idle server has no timer running. A response then shows the
// second the timer last saw begin, late by the timer's delay at most.
var date struct {
	s    atomic.Pointer[string] // the current second's Date value; nil while the timer is stopped
	used atomic.Bool            // a response asked since the last tick

	mu    sync.Mutex // starting and stopping the timer
	timer *time.Timer
}

// responseDate returns the Date value for a response made now.
func responseDate() string {
	if p := date.s.Load(); p != nil {
		if !date.used.Load() {
			date.used.Store(true) // a shared write once a second, not per response
		}
		return *p
	}
	return startDate()
}

// startDate formats the date now and starts the timer.
func startDate() string {
	date.mu.Lock()
	defer date.mu.Unlock()
	if p := date.s.Load(); p != nil {
		return *p
	}
	now := time.Now()
	s := formatDate(now)
	date.s.Store(&s)
	date.used.Store(true)
	if date.timer == nil {
		date.timer = time.AfterFunc(untilNextSecond(now), tickDate)
	} else {
		date.timer.Reset(untilNextSecond(now))
	}
	return s
}

// tickDate runs at the start of each second while responses ask.
func tickDate() {
	date.mu.Lock()
	defer date.mu.Unlock()
	if !date.used.Swap(false) {
		date.s.Store(nil) // nobody asked for a whole second: stop
		return
	}
	now := time.Now()
	s := formatDate(now)
	date.s.Store(&s)
	date.timer.Reset(untilNextSecond(now))
}

func formatDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// untilNextSecond is the time from now to the start of the next second.
func untilNextSecond(now time.Time) time.Duration {
	return time.Second - time.Duration(now.Nanosecond())
}
