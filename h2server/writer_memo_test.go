package h2server

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/h2kit/h2kit"
)

// TestHeaderMemoOnTheWire: responses on one connection whose header maps
// repeat, change one value, gain or lose a field, have a value rewritten
// in place, or name fields in Connection each get their own header
// section on the wire, whatever the section before was (WriteHeader's
// memo, httpcommon.ResponseMemo), with the declared trailers and the
// Content-Length the handler set.
func TestHeaderMemoOnTheWire(t *testing.T) {
	shared := []string{"a"}
	server := []string{"memo-test"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Server"] = server
		switch r.URL.Path {
		case "/same":
			hd["X-A"] = shared
		case "/changed":
			hd["X-A"] = []string{"other"}
		case "/in-place":
			shared[0] = "b" // the slice the memo's map held
			hd["X-A"] = shared
		case "/added":
			hd["X-A"] = shared
			hd["X-B"] = []string{"2"}
		case "/removed":
		case "/connection":
			hd["X-A"] = shared
			hd["Connection"] = []string{"X-A"}
		case "/trailer":
			hd["X-A"] = shared
			hd["Trailer"] = []string{"X-Sum"}
			w.Write([]byte("body"))
			hd["X-Sum"] = []string{"7"}
			return
		case "/length":
			hd["X-A"] = shared
			hd["Content-Length"] = []string{"5"}
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("hello"))
			return
		}
		w.Write([]byte("ok"))
	})
	addr := startH2C(t, h, nil)
	c := newRawClient(t, dial(t, addr), h2kit.Config{})
	steps := []struct {
		path, want, trailers string
	}{
		{"/same", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: a", ""},
		{"/same", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: a", ""},
		{"/changed", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: other", ""},
		{"/same", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: a", ""},
		{"/in-place", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: b", ""},
		{"/added", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: b|x-b: 2", ""},
		{"/removed", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test", ""},
		{"/connection", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test", ""},
		{"/trailer", "content-type: text/plain; charset=utf-8|server: memo-test|trailer: X-Sum|x-a: b", "x-sum: 7"},
		{"/trailer", "content-type: text/plain; charset=utf-8|server: memo-test|trailer: X-Sum|x-a: b", "x-sum: 7"},
		{"/length", "content-length: 5|content-type: text/plain; charset=utf-8|server: memo-test|x-a: b", ""},
		{"/same", "content-length: 2|content-type: text/plain; charset=utf-8|server: memo-test|x-a: b", ""},
	}
	for _, s := range steps {
		id, err := c.eng.SendRequest(reqFields("GET", addr, s.path), true)
		if err != nil {
			t.Fatal(err)
		}
		var head, trailers []string
		for done := false; !done; {
			ev := c.next()
			if ev.id != id {
				t.Fatalf("%s: %s %v", s.path, ev.kind, ev.code)
			}
			switch ev.kind {
			case "response":
				for _, f := range ev.fields {
					if f.Name != ":status" && f.Name != "date" {
						head = append(head, f.Name+": "+f.Value)
					}
				}
			case "trailers":
				for _, f := range ev.fields {
					trailers = append(trailers, f.Name+": "+f.Value)
				}
			case "data":
			default:
				t.Fatalf("%s: %s %v", s.path, ev.kind, ev.code)
			}
			done = ev.end
		}
		slices.Sort(head)
		if got := strings.Join(head, "|"); got != s.want {
			t.Errorf("%s: header section\n%s\nwant\n%s", s.path, got, s.want)
		}
		if got := strings.Join(trailers, "|"); got != s.trailers {
			t.Errorf("%s: trailers %q, want %q", s.path, got, s.trailers)
		}
	}
}
