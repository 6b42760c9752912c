package h2server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// h2cRaw dials the h2c port and returns an engine-based client.
func h2cRaw(t *testing.T, addr string, cfg h2kit.Config) *rawClient {
	return newRawClient(t, dial(t, addr), cfg)
}

func TestPushPromise(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if err := w.(http.Pusher).Push("/style.css", &http.PushOptions{Header: http.Header{"Accept": {"text/css"}}}); err != nil {
				t.Errorf("Push: %v", err)
			}
			io.WriteString(w, "<link rel=stylesheet href=/style.css>")
		case "/style.css":
			if r.Header.Get("Accept") != "text/css" || r.Method != "GET" {
				t.Errorf("pushed request %s %v", r.Method, r.Header)
			}
			if err := w.(http.Pusher).Push("/other", nil); !errors.Is(err, http.ErrNotSupported) {
				t.Errorf("Push from a pushed stream: %v", err)
			}
			io.WriteString(w, "body{}")
		}
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{}) // push enabled (the default)
	id, err := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	if err != nil {
		t.Fatal(err)
	}
	var promised uint32
	bodies := map[uint32]string{}
	done := 0
	for done < 2 {
		ev := c.next()
		switch ev.kind {
		case "push":
			if ev.id != id || field(ev.fields, ":path") != "/style.css" || field(ev.fields, "accept") != "text/css" {
				t.Fatalf("PUSH_PROMISE %+v", ev)
			}
			promised = ev.id2
		case "data":
			bodies[ev.id] += string(ev.data)
		case "response":
			if promised == 0 && ev.id != id {
				t.Fatal("pushed response before its PUSH_PROMISE")
			}
		case "reset", "eof", "terminated", "goaway":
			t.Fatalf("%+v", ev)
		}
		if ev.end {
			done++
		}
	}
	if promised == 0 || bodies[promised] != "body{}" || !strings.Contains(bodies[id], "style.css") {
		t.Fatalf("promised %d bodies %v", promised, bodies)
	}
}

// A pushed response does not overtake the response that promised it: the
// client sees PUSH_PROMISE, the associated HEADERS, then the pushed
// HEADERS, even when the pushed handlers are done long before.
func TestPushedResponseFollowsAssociated(t *testing.T) {
	pushedDone := make(chan struct{}, 2)
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			io.WriteString(w, "pushed "+r.URL.Path)
			pushedDone <- struct{}{}
			return
		}
		for _, p := range []string{"/a", "/b"} {
			if err := w.(http.Pusher).Push(p, nil); err != nil {
				t.Errorf("Push: %v", err)
			}
		}
		<-pushedDone
		<-pushedDone
		time.Sleep(20 * time.Millisecond) // the pushed responses are complete
		io.WriteString(w, "main")
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	var order []string
	bodies := map[uint32]string{}
	for done := 0; done < 3; {
		ev := c.next()
		switch ev.kind {
		case "push", "response":
			order = append(order, fmt.Sprintf("%s %d", ev.kind, max(ev.id, ev.id2)))
		case "data":
			bodies[ev.id] += string(ev.data)
		case "reset", "eof", "terminated", "goaway":
			t.Fatalf("%+v", ev)
		}
		if ev.end {
			done++
		}
	}
	want := []string{"push 2", "push 4", fmt.Sprintf("response %d", id), "response 2", "response 4"}
	if !slices.Equal(order, want) {
		t.Errorf("frames %q, want %q", order, want)
	}
	if bodies[id] != "main" || bodies[2] != "pushed /a" || bodies[4] != "pushed /b" {
		t.Errorf("bodies %v", bodies)
	}
}

// A pushed response waiting for the associated one is sent when the
// client resets the associated stream: it does not wait for a response
// that will not come.
func TestPushedResponseAfterAssociatedReset(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			io.WriteString(w, "pushed")
			return
		}
		if err := w.(http.Pusher).Push("/a", nil); err != nil {
			t.Errorf("Push: %v", err)
		}
		<-r.Context().Done()
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	ev := c.next()
	if ev.kind != "push" || ev.id != id {
		t.Fatalf("want PUSH_PROMISE, got %+v", ev)
	}
	c.eng.ResetStream(id, frame.ErrCodeCancel)
	fs, body := c.response(ev.id2)
	if field(fs, ":status") != "200" || string(body) != "pushed" {
		t.Fatalf("pushed response %v %q", fs, body)
	}
}

// pushPage serves "/" pushing "/a" (served at once), then writes body;
// flush, if set, is called after the first 10 bytes, and the rest waits
// for release.
func pushPage(t *testing.T, body string, flush bool, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			io.WriteString(w, "pushed")
			return
		}
		if err := w.(http.Pusher).Push("/a", nil); err != nil {
			t.Errorf("Push: %v", err)
		}
		if !flush {
			io.WriteString(w, body)
			return
		}
		io.WriteString(w, body[:10])
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, body[10:])
	})
}

// A client whose window cannot take the head of the response it asked
// for gets no pushed data meanwhile: the pushed response waits until the
// associated one has sent pushAfterBody bytes or all of it.
func TestPushedResponseWaitsForHead(t *testing.T) {
	body := strings.Repeat("x", 3000)
	addr := startH2C(t, pushPage(t, body, false, nil), nil)
	c := h2cRaw(t, addr, h2kit.Config{Settings: h2kit.Settings{InitialWindowSize: 3}})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	// Read for a while without consuming anything: the page's stream
	// window stays shut after its first 3 bytes.
	got := map[uint32]int{}
	var order []string
	end := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(end) {
		c.flush()
		c.nc.SetReadDeadline(end)
		n, err := c.nc.Read(c.in)
		c.eng.Receive(c.in[:n], time.Now())
		for ev := c.eng.NextEvent(); ev != nil; ev = c.eng.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.PushPromiseReceived:
				order = append(order, fmt.Sprintf("push %d", e.PromisedStreamID))
			case *h2kit.ResponseReceived:
				order = append(order, fmt.Sprintf("response %d", e.StreamID))
			case *h2kit.DataReceived:
				got[e.StreamID] += len(e.Data)
			}
		}
		if err != nil {
			break
		}
	}
	if want := []string{"push 2", fmt.Sprintf("response %d", id)}; !slices.Equal(order, want) || got[id] != 3 || got[2] != 0 {
		t.Fatalf("frames %q, data %v; want %q and 3 bytes of the page only", order, got, want)
	}
	// The windows open: the page, then the pushed response, complete.
	c.eng.UpdateSettings(h2kit.Settings{InitialWindowSize: 1 << 20})
	c.eng.ConsumeData(id, 3)
	fs, b := c.response(2)
	if field(fs, ":status") != "200" || string(b) != "pushed" {
		t.Fatalf("pushed response %v %q", fs, b)
	}
}

// A handler that flushes the head of its page and then takes its time
// gets its pushed responses sent meanwhile.
func TestPushedResponseAfterFlush(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	addr := startH2C(t, pushPage(t, "<html>...</html>", true, release), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	ev := c.next()
	if ev.kind != "push" || ev.id != id {
		t.Fatalf("want PUSH_PROMISE, got %+v", ev)
	}
	fs, b := c.response(ev.id2)
	if field(fs, ":status") != "200" || string(b) != "pushed" {
		t.Fatalf("pushed response %v %q", fs, b)
	}
}

func TestExpectContinue(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, err := c.eng.SendRequest(reqFields("POST", addr, "/", "expect", "100-continue", "content-length", "5"), false)
	if err != nil {
		t.Fatal(err)
	}
	ev := c.next()
	if ev.kind != "info" || field(ev.fields, ":status") != "100" {
		t.Fatalf("want 100 Continue before the body, got %+v", ev)
	}
	c.eng.SendData(id, []byte("hello"), true)
	fs, body := c.response(id)
	if field(fs, ":status") != "200" || string(body) != "HTTP/2.0 POST 5" {
		t.Fatalf("%v %q", fs, body)
	}
}

func TestShutdown(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := &Server{ShutdownTimeout: 50 * time.Millisecond}
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, "done "+r.URL.Path)
	}), s)
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/slow"), true)
	c.flush()
	<-started

	var shutdownDone atomic.Bool
	errc := make(chan error, 1)
	go func() {
		err := s.Shutdown(context.Background())
		shutdownDone.Store(true)
		errc <- err
	}()
	// Two GOAWAYs: the first with the largest id, the last with 1.
	var goaways []uint32
	for len(goaways) < 2 {
		ev := c.next()
		if ev.kind != "goaway" {
			t.Fatalf("want GOAWAY, got %+v", ev)
		}
		goaways = append(goaways, ev.id2)
	}
	if goaways[0] != 1<<31-1 || goaways[1] != id {
		t.Fatalf("GOAWAY last stream ids %v", goaways)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("listener still open during Shutdown")
	}
	if shutdownDone.Load() {
		t.Fatal("Shutdown returned with a stream in flight")
	}
	close(release)
	fs, body := c.response(id)
	if field(fs, ":status") != "200" || string(body) != "done /slow" {
		t.Fatalf("in-flight stream: %v %q", fs, body)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return")
	}
}

func TestShutdownNewStreamRefused(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := &Server{ShutdownTimeout: 20 * time.Millisecond}
	var served atomic.Int32
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
	}), s)
	c := h2cRaw(t, addr, h2kit.Config{})
	c.eng.SendRequest(reqFields("GET", addr, "/slow"), true)
	c.flush()
	<-started
	go s.Shutdown(context.Background())
	for n := 0; n < 2; {
		if ev := c.next(); ev.kind == "goaway" {
			n++
		}
	}
	// A stream above the final GOAWAY's last id is not processed
	// (RFC 9113, Section 6.8). The client engine refuses to open one after
	// GOAWAY, so the HEADERS frame is written by hand.
	block := hpack.NewEncoder().Encode(nil, reqFields("GET", addr, "/new"))
	h := frame.Headers{StreamID: 3, EndStream: true, EndHeaders: true, BlockFragment: block}
	if _, err := c.nc.Write(h.Append(nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	time.Sleep(50 * time.Millisecond)
	if served.Load() != 1 {
		t.Fatalf("%d handlers ran, want 1", served.Load())
	}
}

func TestClose(t *testing.T) {
	cancelled := make(chan struct{})
	started := make(chan struct{})
	s := new(Server)
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	}), s)
	c := h2cRaw(t, addr, h2kit.Config{})
	c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	c.flush()
	<-started
	s.Close()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cancel the request's context")
	}
	for {
		ev := c.next()
		if ev.kind == "eof" || ev.kind == "terminated" {
			break
		}
	}
}

func TestReadHeaderTimeout(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), &Server{ReadHeaderTimeout: 100 * time.Millisecond})
	nc := dial(t, addr)
	defer nc.Close()
	nc.Write([]byte(frame.ClientPreface))
	nc.Write((&frame.Settings{}).Append(nil))
	start := time.Now()
	hs := readFrames(t, nc) // until the server closes
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("closed after %v", el)
	}
	if last := hs[len(hs)-1]; last.Type != frame.TypeGoAway {
		t.Fatalf("frames %v", hs)
	}
}

func TestIdleTimeout(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), &Server{IdleTimeout: 100 * time.Millisecond, ShutdownTimeout: 20 * time.Millisecond})
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	c.response(id)
	start := time.Now()
	for {
		ev := c.next()
		if ev.kind == "eof" || ev.kind == "terminated" {
			break
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("idle connection closed after %v", el)
	}
}

func TestWriteTimeout(t *testing.T) {
	werr := make(chan error, 1)
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		_, err := w.Write([]byte("late"))
		werr <- err
	}), &Server{WriteTimeout: 50 * time.Millisecond})
	c := h2cRaw(t, addr, h2kit.Config{})
	id, _ := c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	c.flush()
	if err := <-werr; !errors.Is(err, errDeadline()) {
		t.Fatalf("Write after WriteTimeout: %v", err)
	}
	for {
		ev := c.next()
		if ev.id == id && ev.kind == "reset" {
			if ev.code != frame.ErrCodeCancel {
				t.Fatalf("reset %v", ev.code)
			}
			return
		}
		if ev.kind == "eof" || ev.end {
			t.Fatalf("want RST_STREAM, got %+v", ev)
		}
	}
}

func TestContextCancelledOnConnectionLoss(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-time.After(10 * time.Second):
		}
	}), nil)
	c := h2cRaw(t, addr, h2kit.Config{})
	c.eng.SendRequest(reqFields("GET", addr, "/"), true)
	c.flush()
	<-started
	c.nc.Close()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the request's context was not cancelled when the connection died")
	}
}
