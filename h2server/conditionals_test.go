package h2server

import (
	"net/http"
	"testing"
)

// WithoutConditionals: a request whose header block comes again as
// before, without the fields of a conditional or range request, is known
// to have none; one that has such a field never is, and neither is a
// request h2server decoded field by field (the first of a connection's).
func TestWithoutConditionals(t *testing.T) {
	said := make(chan bool, 6)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, ok := w.(interface{ WithoutConditionals() bool })
		said <- ok && nc.WithoutConditionals()
		w.Write(helloBody)
	})
	for _, tc := range []struct {
		name  string
		extra []string
		want  bool // for the requests after the first few
	}{
		{"plain", nil, true},
		{"user-agent", []string{"user-agent", "test"}, true},
		{"if-none-match", []string{"if-none-match", `"x"`}, false},
		{"range", []string{"range", "bytes=0-1"}, false},
		{"if-modified-since", []string{"user-agent", "test", "if-modified-since", "Sun, 06 Dec 2026 09:00:00 GMT"}, false},
	} {
		addr := startH2C(t, h, nil)
		c := newLeanClient(t, addr, tc.extra...)
		var known []bool
		for range 6 {
			c.get() // one request at a time
			known = append(known, <-said)
		}
		if known[0] {
			t.Errorf("%s: the connection's first request said to be known without conditional fields", tc.name)
		}
		if got := known[len(known)-1]; got != tc.want {
			t.Errorf("%s: WithoutConditionals %v on the sixth request, want %v (all: %v)", tc.name, got, tc.want, known)
		}
	}
}
