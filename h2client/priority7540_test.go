package h2client

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/hpack"
)

// prio7540Seen records, on the server, the RFC 7540 signals received:
// "PRIORITY id dep weight excl" and "HEADERS id dep weight excl" (or
// "HEADERS id -" without the PRIORITY flag), in order.
type prio7540Seen struct {
	mu  sync.Mutex
	got []string
}

func (p *prio7540Seen) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	var s string
	switch f := f.(type) {
	case *frame.Priority:
		s = fmt.Sprintf("PRIORITY %d %d %d %v", f.StreamID, f.StreamDep, int(f.Weight)+1, f.Exclusive)
	case *frame.Headers:
		s = fmt.Sprintf("HEADERS %d -", f.StreamID)
		if f.HasPriority {
			s = fmt.Sprintf("HEADERS %d %d %d %v", f.StreamID, f.Priority.StreamDep, int(f.Priority.Weight)+1, f.Priority.Exclusive)
		}
	default:
		return
	}
	p.mu.Lock()
	p.got = append(p.got, s)
	p.mu.Unlock()
}

func (p *prio7540Seen) FrameSent(frame.Header, frame.Frame, []hpack.Field) {}

func (p *prio7540Seen) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.got, "\n")
}

// anchors7540 is the anchor set of nghttp (and of Firefox before RFC
// 9218): leaders, unblocked, background, speculative (under background)
// and followers (under leaders).
var anchors7540 = []Anchor{{Weight: 201}, {Weight: 101}, {Weight: 1}, {DependsOn: 3, Weight: 1}, {DependsOn: 1, Weight: 1}}

// TestStreamPriority7540: against h2server, the Transport's anchors go
// out as PRIORITY frames on the first stream ids before any request,
// and the requests carry their weight and dependency in HEADERS: on an
// anchor, on another request's open stream (through its PriorityHandle),
// exclusive, or nothing at all without WithStreamPriority.
func TestStreamPriority7540(t *testing.T) {
	seen := new(prio7540Seen)
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-gate
		}
		io.WriteString(w, r.URL.Path)
	})
	base := startH2Server(t, h, &h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer { return seen }})
	tr := newTransport(t)
	tr.PriorityAnchors = anchors7540
	c := client(tr)

	ctxA, ha := WithPriorityHandle(t.Context())
	ctxA = WithStreamPriority(ctxA, StreamPriority{Anchor: 5}) // followers, weight 16
	done := make(chan string)
	go func() {
		req, _ := http.NewRequestWithContext(ctxA, "GET", base+"/slow", nil)
		resp, err := c.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	<-started
	if id := ha.StreamID(); id != 11 {
		t.Fatalf("the first request's stream is %d, want 11 (after anchors 1 to 9)", id)
	}
	// Depends on the open /slow, exclusively; Anchor stands by.
	req, _ := http.NewRequestWithContext(WithStreamPriority(t.Context(), StreamPriority{DependsOn: ha, Anchor: 1, Weight: 32, Exclusive: true}), "GET", base+"/css", nil)
	if _, body := getBodyReq(t, c, req); body != "/css" {
		t.Fatal(body)
	}
	req, _ = http.NewRequestWithContext(WithStreamPriority(t.Context(), StreamPriority{Anchor: 1, Weight: 256}), "GET", base+"/js", nil)
	getBodyReq(t, c, req)
	getBody(t, c, base+"/plain")
	close(gate)
	if got := <-done; got != "/slow" {
		t.Fatal(got)
	}
	// /slow's handle is done: a dependency on it falls back to the anchor.
	req, _ = http.NewRequestWithContext(WithStreamPriority(t.Context(), StreamPriority{DependsOn: ha, Anchor: 2, Weight: 12}), "GET", base+"/img", nil)
	getBodyReq(t, c, req)
	want := strings.Join([]string{
		"PRIORITY 1 0 201 false",
		"PRIORITY 3 0 101 false",
		"PRIORITY 5 0 1 false",
		"PRIORITY 7 5 1 false",
		"PRIORITY 9 1 1 false",
		"HEADERS 11 9 16 false",
		"HEADERS 13 11 32 true",
		"HEADERS 15 1 256 false",
		"HEADERS 17 -",
		"HEADERS 19 3 12 false",
	}, "\n")
	if got := seen.String(); got != want {
		t.Fatalf("the server received:\n%s\nwant:\n%s", got, want)
	}
}

// TestStreamPriority7540Errors: a weight outside 1 to 256, an anchor the
// Transport does not have, and a wrong anchor list fail the requests
// that use them, with an error that says why; other requests go on.
func TestStreamPriority7540Errors(t *testing.T) {
	seen := new(prio7540Seen)
	base := startH2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), &h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer { return seen }})
	tr := newTransport(t)
	tr.PriorityAnchors = []Anchor{{Weight: 201}}
	c := client(tr)
	try := func(c *http.Client, p StreamPriority) error {
		req, _ := http.NewRequestWithContext(WithStreamPriority(context.Background(), p), "GET", base+"/", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	for _, c2 := range []struct {
		p    StreamPriority
		want string
	}{
		{StreamPriority{Weight: 257}, "weight 257 outside 1 to 256"},
		{StreamPriority{Weight: -1}, "weight -1 outside"},
		{StreamPriority{Anchor: 2}, "Anchor 2: the Transport has 1 PriorityAnchors"},
	} {
		if err := try(c, c2.p); err == nil || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("%+v: %v, want %q", c2.p, err, c2.want)
		}
	}
	if err := try(c, StreamPriority{Anchor: 1}); err != nil {
		t.Fatal(err)
	}
	tr2 := newTransport(t)
	tr2.PriorityAnchors = []Anchor{{Weight: 201}, {DependsOn: 2}}
	if err := try(client(tr2), StreamPriority{Anchor: 1}); err == nil || !strings.Contains(err.Error(), "PriorityAnchors[1]: DependsOn 2 is not an earlier anchor") {
		t.Fatalf("wrong anchor list: %v", err)
	}
	getBody(t, client(tr2), base+"/") // a request naming no anchor goes
	tr3 := newTransport(t)
	tr3.PriorityAnchors = []Anchor{{Weight: 300}}
	if err := try(client(tr3), StreamPriority{Anchor: 1}); err == nil || !strings.Contains(err.Error(), "PriorityAnchors[0]: h2client: RFC 7540 weight 300") {
		t.Fatalf("wrong anchor weight: %v", err)
	}
	// Nothing of the refused requests reached the server: only the two
	// that went.
	if n := strings.Count(seen.String(), "HEADERS"); n != 2 {
		t.Fatalf("server got %d requests, want 2:\n%s", n, seen)
	}
}

// TestStreamPriority7540Upgrade: over an h2c Upgrade the upgraded request
// is stream 1; the anchors follow it (3, 5) and the next request
// depends on them.
func TestStreamPriority7540Upgrade(t *testing.T) {
	seen := new(prio7540Seen)
	base := startH2ServerH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		&h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer { return seen }})
	tr := &Transport{UpgradeH2C: true, PriorityAnchors: []Anchor{{Weight: 201}, {DependsOn: 1, Weight: 1}}}
	t.Cleanup(tr.CloseIdleConnections)
	c := client(tr)
	getBody(t, c, base+"/")
	req, _ := http.NewRequestWithContext(WithStreamPriority(t.Context(), StreamPriority{Anchor: 2}), "GET", base+"/", nil)
	getBodyReq(t, c, req)
	want := "PRIORITY 3 0 201 false\nPRIORITY 5 3 1 false\nHEADERS 7 5 16 false"
	if got := seen.String(); got != want {
		t.Fatalf("the server received:\n%s\nwant:\n%s", got, want)
	}
}
