package h2server

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"

	h2kit "github.com/h2kit/h2kit"
)

// TestQueuedRequestsPassABlockedHandler sends requests in one write, so
// that the server queues them together, whose first handlers block until
// the last one has run: a worker that takes a request while more are
// queued must leave them to another worker, or this deadlocks. It runs
// with one P, where the worker that takes the first request would
// otherwise drain the queue itself, and with two.
func TestQueuedRequestsPassABlockedHandler(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			release := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/release" {
					close(release)
				} else {
					<-release
				}
				w.Write([]byte(r.URL.Path))
			})
			addr := startH2C(t, h, nil)
			c := newRawClient(t, dial(t, addr), h2kit.Config{})
			paths := []string{"/wait1", "/wait2", "/wait3", "/wait4", "/release"}
			ids := make([]uint32, len(paths))
			for i, p := range paths {
				id, err := c.eng.SendRequest(reqFields("GET", addr, p), true)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = id
			}
			c.flush()
			// The responses come in any order: read them all.
			bodies := map[uint32]string{}
			for ended := 0; ended < len(ids); {
				ev := c.next()
				switch ev.kind {
				case "data":
					bodies[ev.id] += string(ev.data)
				case "response":
				default:
					t.Fatalf("stream %d: %s %v, with %d of %d responses complete", ev.id, ev.kind, ev.code, ended, len(ids))
				}
				if ev.end {
					ended++
				}
			}
			for i, id := range ids {
				if bodies[id] != paths[i] {
					t.Errorf("stream %d: body %q, want %q", id, bodies[id], paths[i])
				}
			}
		})
	}
}

// TestStreamQueue checks the worker queue's ring: order kept across
// growth and wrap-around, and a drained large ring dropped.
func TestStreamQueue(t *testing.T) {
	var q streamQueue
	sts := make([]stream, 3000)
	next, want := 0, 0
	for round, n := range []int{5, 40, 17, 3000, 1, 33} {
		for range n {
			q.push(&sts[next%len(sts)])
			next++
		}
		// Take all but round of them, leaving some behind across rounds.
		for q.n > round {
			if got := q.pop(); got != &sts[want%len(sts)] {
				t.Fatalf("round %d: popped stream %p, want %d", round, got, want)
			}
			want++
		}
	}
	for q.n > 0 {
		if got := q.pop(); got != &sts[want%len(sts)] {
			t.Fatalf("popped stream %p, want %d", got, want)
		}
		want++
	}
	if want != next || q.pop() != nil {
		t.Fatalf("popped %d of %d, or more", want, next)
	}
	if q.buf != nil {
		t.Errorf("drained queue keeps a ring of %d", len(q.buf))
	}
}
