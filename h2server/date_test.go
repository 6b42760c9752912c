package h2server

import (
	"net/http"
	"testing"
	"time"
)

// TestResponseDate: each response's Date is the second it was made in
// (RFC 9110, Section 6.6.1), while responses come often (the timer keeps
// the value) and after a pause (the timer stopped and starts again).
func TestResponseDate(t *testing.T) {
	check := func() {
		t.Helper()
		before := time.Now().Truncate(time.Second)
		got, err := http.ParseTime(responseDate())
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		// The timer may be a little late at a second's start.
		if got.Before(before.Add(-time.Second)) || got.After(after) {
			t.Fatalf("Date %v, made between %v and %v", got, before, after)
		}
	}
	end := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(end) {
		check()
		time.Sleep(50 * time.Millisecond)
	}
	// A second and more with no response stops the timer.
	deadline := time.Now().Add(5 * time.Second)
	for date.s.Load() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the Date timer still runs with no response asking")
		}
		time.Sleep(100 * time.Millisecond)
	}
	check()
	if date.s.Load() == nil {
		t.Fatal("the Date timer did not start again")
	}
}
