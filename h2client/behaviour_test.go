package h2client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2server"
	"github.com/h2kit/h2kit/hpack"
)

// TestRetryRefused: REFUSED_STREAM is retried transparently, with a
// body rewound through GetBody.
func TestRetryRefused(t *testing.T) {
	var refused atomic.Int32
	s := startRawServer(t, h2kit.Config{}, func(c *rawConn, id uint32, fields []hpack.Field) {
		if refused.Add(1) <= 2 {
			c.eng.ResetStream(id, frame.ErrCodeRefusedStream)
			return
		}
		c.respond(id, "200", "ok")
	})
	tr := newTransport(t)
	tr.AllowHTTP = true
	resp, body := getBody(t, client(tr), s.url()+"/")
	if resp.StatusCode != 200 || body != "ok" || refused.Load() != 3 {
		t.Fatalf("%s %q after %d tries", resp.Status, body, refused.Load())
	}
	refused.Store(0)
	resp, err := client(tr).Post(s.url()+"/", "text/plain", strings.NewReader("body")) // GetBody set
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if refused.Load() != 3 {
		t.Fatalf("%d tries", refused.Load())
	}
	// A body that cannot be rewound and was already sent is not retried.
	refused.Store(0)
	req, _ := http.NewRequest("POST", s.url()+"/", io.NopCloser(strings.NewReader("body")))
	if _, err := client(tr).Do(req); !errors.Is(err, &h2kit.StreamError{Code: frame.ErrCodeRefusedStream}) {
		t.Fatalf("err %v, want REFUSED_STREAM", err)
	}
}

// TestRetryGoAway: streams above a GOAWAY's last stream id are retried on
// a new connection.
func TestRetryGoAway(t *testing.T) {
	s := startRawServer(t, h2kit.Config{}, func(c *rawConn, id uint32, fields []hpack.Field) {
		if c.n == 1 {
			if id == 1 {
				c.respond(id, "200", "first")
				return
			}
			// Process nothing more.
			c.eng.Shutdown()
			c.eng.Close(frame.ErrCodeNo, "going away")
			return
		}
		c.respond(id, "200", "second")
	})
	tr := newTransport(t)
	tr.AllowHTTP = true
	if _, body := getBody(t, client(tr), s.url()+"/"); body != "first" {
		t.Fatal(body)
	}
	if _, body := getBody(t, client(tr), s.url()+"/"); body != "second" {
		t.Fatal(body)
	}
	if n := s.conns.Load(); n != 2 {
		t.Fatalf("%d connections", n)
	}
}

// TestDeadConnPing: a server that goes silent is found by PING and the
// connection closed; the next request uses a new one.
func TestDeadConnPing(t *testing.T) {
	s := startRawServer(t, h2kit.Config{}, func(c *rawConn, id uint32, fields []hpack.Field) {
		if c.n == 1 && len(fields) > 0 && strings.Contains(fieldValue(fields, ":path"), "hang") {
			c.silent = true
			return
		}
		c.respond(id, "200", "ok")
	})
	tr := newTransport(t)
	tr.AllowHTTP = true
	tr.ReadIdleTimeout = 50 * time.Millisecond
	tr.PingTimeout = 100 * time.Millisecond
	getBody(t, client(tr), s.url()+"/")
	start := time.Now()
	_, err := client(tr).Get(s.url() + "/hang")
	if err == nil {
		t.Fatal("request on a dead connection succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("dead connection found after %v", d)
	}
	t.Logf("dead connection: %v after %v", err, time.Since(start))
	if _, body := getBody(t, client(tr), s.url()+"/"); body != "ok" {
		t.Fatal(body)
	}
	if n := s.conns.Load(); n != 2 {
		t.Fatalf("%d connections", n)
	}
}

func fieldValue(fields []hpack.Field, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// TestCancel: cancelling the context resets the stream, and the server
// sees its request's context end.
func TestCancel(t *testing.T) {
	handlerDone := make(chan error, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
			handlerDone <- r.Context().Err()
		case <-time.After(5 * time.Second):
			handlerDone <- errors.New("not cancelled")
		}
	})
	base := startH2Server(t, h, nil)
	tr := newTransport(t)
	// Before the response.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/head", nil)
	if _, err := client(tr).Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if err := <-handlerDone; err == nil || err.Error() == "not cancelled" {
		t.Fatalf("handler: %v", err)
	}
	// While reading the body.
	ctx2, cancel2 := context.WithCancel(t.Context())
	req, _ = http.NewRequestWithContext(ctx2, "GET", base+"/body", nil)
	resp, err := client(tr).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel2)
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Fatalf("body read: %v", err)
	}
	resp.Body.Close()
	if err := <-handlerDone; err == nil || err.Error() == "not cancelled" {
		t.Fatalf("handler: %v", err)
	}
	// Closing the body early cancels the stream too.
	resp, err = client(tr).Get(base + "/body")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-handlerDone; err == nil || err.Error() == "not cancelled" {
		t.Fatalf("handler after Close: %v", err)
	}
}

// TestExpectContinue: the body waits for 100 (Continue); a final
// response first means no body.
func TestExpectContinue(t *testing.T) {
	var got atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reject" {
			w.WriteHeader(http.StatusExpectationFailed)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		w.Write(b)
	})
	base := startH2Server(t, h, nil)
	tr := newTransport(t)
	tr.ExpectContinueTimeout = 5 * time.Second
	var continued, waited atomic.Bool
	trace := &httptrace.ClientTrace{
		Got100Continue:  func() { continued.Store(true) },
		Wait100Continue: func() { waited.Store(true) },
	}
	req, _ := http.NewRequest("PUT", base+"/accept", strings.NewReader("payload"))
	req.Header.Set("Expect", "100-continue")
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	start := time.Now()
	resp, err := client(tr).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "payload" || !continued.Load() || !waited.Load() || time.Since(start) > 4*time.Second {
		t.Fatalf("%q continued=%v waited=%v after %v", b, continued.Load(), waited.Load(), time.Since(start))
	}
	var read atomic.Bool
	body := readerFunc(func(p []byte) (int, error) { read.Store(true); return 0, io.EOF })
	req, _ = http.NewRequest("PUT", base+"/reject", io.NopCloser(body))
	req.ContentLength = 10
	req.Header.Set("Expect", "100-continue")
	resp, err = client(tr).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusExpectationFailed || read.Load() {
		t.Fatalf("%s, body read: %v", resp.Status, read.Load())
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// Test1xx: informational responses reach httptrace's Got1xxResponse.
func Test1xx(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		io.WriteString(w, "final")
	})
	for name, base := range map[string]string{"h2server": startH2Server(t, h, nil), "go": startGoTLS(t, h)} {
		t.Run(name, func(t *testing.T) {
			var codes []int
			var link string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, hdr textproto.MIMEHeader) error {
				codes = append(codes, code)
				link = hdr.Get("Link")
				return nil
			}}
			req, _ := http.NewRequest("GET", base+"/", nil)
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
			resp, err := client(newTransport(t)).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "final" || len(codes) != 1 || codes[0] != 103 || link != "</style.css>; rel=preload" {
				t.Fatalf("%q codes %v link %q", b, codes, link)
			}
		})
	}
}

// TestSmallWindowsDownload: 1 MiB through 16 KiB stream windows.
func TestSmallWindowsDownload(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	tr := newTransport(t)
	tr.InitialWindowSize = 16 << 10
	tr.ConnectionWindow = 65535
	tr.DisableAutoWindow = true
	resp, err := client(tr).Get(base + "/bytes?n=1048576")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := checkPattern(resp.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
}

// TestUploadBackpressure: a server that does not read makes the upload
// stop reading the body: memory stays bounded.
func TestUploadBackpressure(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		n, _ := io.Copy(io.Discard, r.Body)
		io.WriteString(w, strings.Repeat("x", int(n%7)))
	})
	base := startH2Server(t, h, &h2server.Server{InitialWindowSize: 65535, ConnectionWindow: 65535})
	tr := newTransport(t)
	var taken atomic.Int64
	const size = 8 << 20
	body := &countingReader{r: &patternReader{n: size}, n: &taken}
	done := make(chan error, 1)
	go func() {
		resp, err := client(tr).Post(base+"/", "application/octet-stream", io.NopCloser(body))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	got := taken.Load()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Server window 64 KiB + our queue 64 KiB + engine buffer 64 KiB +
	// one chunk.
	if got > 256<<10 {
		t.Fatalf("%d bytes read from the body while the server read nothing", got)
	}
	t.Logf("read %d bytes while stalled; %d in all", got, taken.Load())
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestDownloadBackpressure: a caller that does not read stops the server
// (flow control), and reading resumes it.
func TestDownloadBackpressure(t *testing.T) {
	var written atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 8<<10)
		for range 1024 { // 8 MiB
			n, err := w.Write(buf)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	base := startH2Server(t, h, nil)
	tr := newTransport(t)
	tr.InitialWindowSize = 65535
	tr.ConnectionWindow = 65535
	tr.DisableAutoWindow = true
	resp, err := client(tr).Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	stalled := written.Load()
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 8<<20 {
		t.Fatalf("read %d: %v", n, err)
	}
	// Window 64 KiB + the server's buffers (h2server: 64 KiB queued, the
	// engine's 64 KiB, 8 KiB unflushed).
	if stalled > 320<<10 {
		t.Fatalf("server wrote %d bytes while the client read nothing", stalled)
	}
	t.Logf("server wrote %d bytes while the client read nothing", stalled)
}

// TestMaxHeaderListSize: a response header section beyond the limit
// fails the request, not the connection.
func TestMaxHeaderListSize(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Header().Set("X-Big", strings.Repeat("b", 20<<10))
		}
		io.WriteString(w, "ok")
	})
	base := startH2Server(t, h, nil)
	tr := newTransport(t)
	tr.MaxHeaderListSize = 8 << 10
	if _, err := client(tr).Get(base + "/big"); err == nil {
		t.Fatal("a 20 KiB header passed an 8 KiB limit")
	} else {
		t.Logf("big header: %v", err)
	}
	if _, body := getBody(t, client(tr), base+"/small"); body != "ok" {
		t.Fatal(body)
	}
}

// TestPush: pushed responses reach the PushHandler; AcceptPush can
// refuse them; without a handler push is disabled.
func TestPush(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	t.Run("accepted", func(t *testing.T) {
		tr := newTransport(t)
		pushed := make(chan string, 1)
		tr.PushHandler = func(req *http.Request, resp *http.Response) {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pushed <- req.Method + " " + req.URL.String() + " " + resp.Status + " " + string(b)
		}
		resp, body := getBody(t, client(tr), base+"/push")
		if body != "main" || resp.Header.Get("X-Push-Error") != "" {
			t.Fatalf("%q %v", body, resp.Header)
		}
		select {
		case p := <-pushed:
			if want := "GET " + base + "/pushed 200 OK pushed body"; p != want {
				t.Fatalf("pushed %q, want %q", p, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no push")
		}
	})
	t.Run("refused", func(t *testing.T) {
		tr := newTransport(t)
		var asked atomic.Int32
		tr.PushHandler = func(req *http.Request, resp *http.Response) { t.Error("push delivered") }
		tr.AcceptPush = func(req *http.Request) bool { asked.Add(1); return false }
		if _, body := getBody(t, client(tr), base+"/push"); body != "main" {
			t.Fatal(body)
		}
		if asked.Load() != 1 {
			t.Fatalf("AcceptPush called %d times", asked.Load())
		}
	})
	t.Run("disabled", func(t *testing.T) {
		resp, body := getBody(t, client(newTransport(t)), base+"/push")
		if body != "main" || resp.Header.Get("X-Push-Error") == "" {
			t.Fatalf("push not refused: %q %v", body, resp.Header)
		}
	})
}

// frameLog is a tracer that records frame types sent.
type frameLog struct {
	sent atomic.Value // true once a PRIORITY_UPDATE went out
}

func (l *frameLog) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {}
func (l *frameLog) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	if h.Type == frame.TypePriorityUpdate {
		l.sent.Store(true)
	}
}

// TestPriority: the priority header field passes through, and
// UpdatePriority sends PRIORITY_UPDATE for a request in flight.
func TestPriority(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	tr := newTransport(t)
	log := &frameLog{}
	tr.NewTracer = func(nc net.Conn) h2kit.Tracer { return log }
	req, _ := http.NewRequest("GET", base+"/headers", nil)
	req.Header.Set("Priority", "u=1, i")
	resp, _ := getBodyReq(t, client(tr), req)
	if got := resp.Header.Get("X-Req-Priority"); got != "u=1, i" {
		t.Fatalf("priority seen by the server: %q", got)
	}
	// Through the response (an http.Client with a Timeout wraps the
	// body: UpdatePriority needs ours).
	resp, err := (&http.Client{Transport: tr}).Get(base + "/gate")
	if err != nil {
		t.Fatal(err)
	}
	if err := UpdatePriority(resp, h2kit.Priority{Urgency: 0}); err != nil {
		t.Fatal(err)
	}
	close(th.gate)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if log.sent.Load() == nil {
		t.Fatal("no PRIORITY_UPDATE sent")
	}
	if err := UpdatePriority(resp, h2kit.Priority{Urgency: 0}); !errors.Is(err, ErrNotInFlight) {
		t.Fatalf("after the response: %v", err)
	}
	// Through a handle, before the response: the server sees it.
	var seen atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		io.WriteString(w, "ok")
	})
	s := &h2server.Server{NewTracer: func(net.Conn) h2kit.Tracer { return &prioSeen{v: &seen} }}
	base2 := startH2Server(t, h, s)
	ctx, ph := WithPriorityHandle(t.Context())
	if err := ph.Update(h2kit.Priority{Urgency: 1}); !errors.Is(err, ErrNotInFlight) {
		t.Fatalf("before sending: %v", err)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", base2+"/", nil)
	go func() {
		time.Sleep(30 * time.Millisecond)
		if err := ph.Update(h2kit.Priority{Urgency: 6, Incremental: true}); err != nil {
			t.Error(err)
		}
	}()
	getBodyReq(t, client(tr), req)
	if v, _ := seen.Load().(string); v != "u=6, i" {
		t.Fatalf("server saw PRIORITY_UPDATE %q", v)
	}
}

// prioSeen records the PRIORITY_UPDATE a server receives.
type prioSeen struct{ v *atomic.Value }

func (p *prioSeen) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	if u, ok := f.(*frame.PriorityUpdate); ok {
		p.v.Store(string(u.FieldValue))
	}
}
func (p *prioSeen) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {}

func getBodyReq(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestEarlyResponse: a server that answers without reading the body and
// then asks the client to stop (RST_STREAM NO_ERROR, RFC 9113, Section
// 8.1): the response is fine, and the upload stops.
func TestEarlyResponse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "early")
	})
	base := startH2Server(t, h, &h2server.Server{InitialWindowSize: 65535, ConnectionWindow: 65535})
	tr := newTransport(t)
	var taken atomic.Int64
	body := &countingReader{r: &patternReader{n: 64 << 20}, n: &taken}
	resp, err := client(tr).Post(base+"/", "application/octet-stream", io.NopCloser(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "early" {
		t.Fatalf("%q %v", b, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := taken.Load(); n > 1<<20 {
		t.Fatalf("uploaded %d bytes after the server's answer", n)
	}
	// The connection is still good.
	if _, body := getBody(t, client(tr), base+"/"); body != "early" {
		t.Fatal(body)
	}
}

// TestNoBodyResponses: HEAD keeps Content-Length with an empty body; 204
// has no body.
func TestNoBodyResponses(t *testing.T) {
	th := newTestHandler()
	base := startH2Server(t, th, nil)
	tr := newTransport(t)
	req, _ := http.NewRequest("HEAD", base+"/bytes?n=1000", nil)
	resp, err := client(tr).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ContentLength != 1000 || len(b) != 0 {
		t.Fatalf("HEAD: ContentLength %d, body %d bytes", resp.ContentLength, len(b))
	}
	resp, body := getBody(t, client(tr), base+"/status?code=204")
	if resp.StatusCode != 204 || body != "" || resp.ContentLength != 0 {
		t.Fatalf("204: %s %q %d", resp.Status, body, resp.ContentLength)
	}
}
