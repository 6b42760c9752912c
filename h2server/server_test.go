package h2server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clientKind is one of the real peers the tests run against.
type clientKind struct {
	name   string
	scheme string
	start  func(testing.TB, http.Handler, *Server) string
	client func(testing.TB) *http.Client
}

var clientKinds = []clientKind{
	{"tls-nethttp", "https", startTLS, stdTLS},
	{"tls-xnet", "https", startTLS, xnetTLS},
	{"h2c-xnet", "http", startH2C, xnetH2C},
	{"h2c-nethttp", "http", startH2C, stdH2C},
}

func forEachClient(t *testing.T, f func(t *testing.T, k clientKind)) {
	for _, k := range clientKinds {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}

func TestGet(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		var gotTLS, gotRemote, gotHost atomic.Value
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := w.(*responseWriter); !ok {
				t.Errorf("served by %T, not h2server", w)
			}
			if r.Proto != "HTTP/2.0" || r.ProtoMajor != 2 || r.ProtoMinor != 0 {
				t.Errorf("Proto %q %d.%d", r.Proto, r.ProtoMajor, r.ProtoMinor)
			}
			gotTLS.Store(r.TLS != nil)
			gotRemote.Store(r.RemoteAddr)
			gotHost.Store(r.Host)
			if r.URL.Path != "/a/b" || r.URL.RawQuery != "q=1" || r.RequestURI != "/a/b?q=1" {
				t.Errorf("URL %v RequestURI %q", r.URL, r.RequestURI)
			}
			if r.Header.Get("X-Test") != "yes" {
				t.Errorf("header %v", r.Header)
			}
			io.WriteString(w, "<html>hello</html>")
		}), nil)
		req, _ := http.NewRequest("GET", k.scheme+"://"+addr+"/a/b?q=1", nil)
		req.Header.Set("X-Test", "yes")
		res, err := k.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ProtoMajor != 2 || string(b) != "<html>hello</html>" {
			t.Fatalf("%s %q", res.Proto, b)
		}
		if res.ContentLength != int64(len(b)) || res.Header.Get("Content-Length") != fmt.Sprint(len(b)) {
			t.Errorf("Content-Length %d %q", res.ContentLength, res.Header.Get("Content-Length"))
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("sniffed Content-Type %q", ct)
		}
		if _, err := http.ParseTime(res.Header.Get("Date")); err != nil {
			t.Errorf("Date %q: %v", res.Header.Get("Date"), err)
		}
		if gotTLS.Load() != (k.scheme == "https") || gotRemote.Load() == "" || gotHost.Load() != addr {
			t.Errorf("TLS %v RemoteAddr %v Host %v", gotTLS.Load(), gotRemote.Load(), gotHost.Load())
		}
	})
}

func TestHead(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "twelve bytes")
		}), nil)
		res, err := k.client(t).Head(k.scheme + "://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if len(b) != 0 || res.ContentLength != 12 {
			t.Fatalf("HEAD body %q, Content-Length %d", b, res.ContentLength)
		}
	})
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	io.Copy(w, r.Body)
}

func TestPostEcho1MiB(t *testing.T) {
	body := make([]byte, 1<<20)
	rand.Read(body)
	forEachClient(t, func(t *testing.T, k clientKind) {
		addr := k.start(t, http.HandlerFunc(echoHandler), nil)
		res, err := k.client(t).Post(k.scheme+"://"+addr+"/echo", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("echo: got %d bytes, want %d (equal prefix %v)", len(got), len(body), bytes.HasPrefix(body, got))
		}
	})
}

func TestTrailers(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Error(err)
			}
			sum := sha256.Sum256(b)
			if got := r.Trailer.Get("Client-Sum"); got != fmt.Sprintf("%x", sum) {
				t.Errorf("request trailer %q, want %x (Trailer %v)", got, sum, r.Trailer)
			}
			w.Header().Set("Trailer", "Server-Sum")
			w.WriteHeader(200)
			w.Write(b)
			w.Header().Set("Server-Sum", fmt.Sprintf("%x", sum))
			w.Header().Set(http.TrailerPrefix+"Undeclared", "late")
		}), nil)
		payload := bytes.Repeat([]byte("trailers!"), 5000)
		sum := sha256.Sum256(payload)
		pr, pw := io.Pipe()
		go func() {
			pw.Write(payload)
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", k.scheme+"://"+addr+"/", pr)
		req.Trailer = http.Header{"Client-Sum": {fmt.Sprintf("%x", sum)}}
		res, err := k.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Equal(got, payload) {
			t.Fatalf("body: %d bytes", len(got))
		}
		if res.Trailer.Get("Server-Sum") != fmt.Sprintf("%x", sum) || res.Trailer.Get("Undeclared") != "late" {
			t.Fatalf("response trailers %v", res.Trailer)
		}
	})
}

// A TrailerPrefix key set after the header went out is a trailer, also
// when the map keeps its number of keys (one deleted for it) or its keys
// were few enough for WriteHeader to keep them.
func TestTrailerPrefixAfterWrite(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Gone", "soon")
			io.WriteString(w, "body")
			switch r.URL.Path {
			case "/swap": // as many keys as when the header went out
				w.Header().Del("X-Gone")
				w.Header().Set(http.TrailerPrefix+"X-Late", "swapped")
			case "/add":
				w.Header().Set(http.TrailerPrefix+"X-Late", "added")
			case "/none":
				w.Header().Set("X-Ignored", "after the header") // neither a header nor a trailer
			}
		}), nil)
		c := k.client(t)
		for _, tc := range []struct{ path, want string }{{"/swap", "swapped"}, {"/add", "added"}, {"/none", ""}} {
			res, err := c.Get(k.scheme + "://" + addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(body) != "body" || res.Header.Get("X-Gone") != "soon" {
				t.Fatalf("%s: body %q, header %v", tc.path, body, res.Header)
			}
			wantN := 0
			if tc.want != "" {
				wantN = 1
			}
			if got := res.Trailer.Get("X-Late"); got != tc.want || len(res.Trailer) != wantN {
				t.Fatalf("%s: trailers %v, want X-Late %q", tc.path, res.Trailer, tc.want)
			}
		}
	})
}

func TestConcurrent100(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		var inFlight, maxInFlight atomic.Int32
		var conns sync.Map
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			conns.Store(r.RemoteAddr, true)
			time.Sleep(20 * time.Millisecond)
			fmt.Fprintf(w, "%s", r.URL.Path)
		}), nil)
		c := k.client(t)
		// One request first so that every other shares its connection.
		if res, err := c.Get(k.scheme + "://" + addr + "/warm"); err != nil {
			t.Fatal(err)
		} else {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := fmt.Sprintf("/r%d", i)
				res, err := c.Get(k.scheme + "://" + addr + path)
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != path {
					errs <- fmt.Errorf("got %q want %q", b, path)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		n := 0
		conns.Range(func(any, any) bool { n++; return true })
		if n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
		if maxInFlight.Load() < 10 {
			t.Errorf("at most %d requests in flight: not concurrent", maxInFlight.Load())
		}
	})
}

func TestPanicRecovery(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		var logs testLogger
		s := &Server{Logger: logs.logger()}
		var conns sync.Map
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conns.Store(r.RemoteAddr, true)
			switch r.URL.Path {
			case "/panic":
				w.Header().Set("X", "y")
				w.(http.Flusher).Flush()
				panic("boom")
			case "/abort":
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, "fine")
		}), s)
		c := k.client(t)
		for _, p := range []string{"/ok", "/panic", "/abort", "/ok"} {
			res, err := c.Get(k.scheme + "://" + addr + p)
			if err == nil {
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
			if (err != nil) != (p != "/ok") {
				t.Errorf("%s: err %v", p, err)
			}
		}
		n := 0
		conns.Range(func(any, any) bool { n++; return true })
		if n != 1 {
			t.Errorf("%d connections, want 1: a panic must not end the connection", n)
		}
		out := logs.String()
		if !strings.Contains(out, "boom") || strings.Count(out, "panic serving") != 1 {
			t.Errorf("log:\n%s", out)
		}
	})
}

func TestContextCancelledOnReset(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		started := make(chan struct{})
		cancelled := make(chan error, 1)
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			close(started)
			select {
			case <-r.Context().Done():
				cancelled <- r.Context().Err()
			case <-time.After(10 * time.Second):
				cancelled <- errors.New("context not cancelled")
			}
		}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", k.scheme+"://"+addr+"/", nil)
		res, err := k.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		cancel() // the client sends RST_STREAM(CANCEL)
		res.Body.Close()
		if err := <-cancelled; !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	})
}

func TestInformational(t *testing.T) {
	addr := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		io.WriteString(w, "final")
	}), nil)
	var got []int
	var link string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, code)
		link = h.Get("Link")
		return nil
	}}
	req, _ := http.NewRequest("GET", "https://"+addr+"/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := xnetTLS(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if len(got) != 1 || got[0] != 103 || link != "</style.css>; rel=preload" || string(b) != "final" {
		t.Fatalf("1xx %v link %q body %q", got, link, b)
	}
	if res.Header.Get("Link") != "" {
		t.Errorf("final response kept Link: %v", res.Header)
	}
}

func TestPushNotSupportedWhenDisabled(t *testing.T) {
	pushErr := make(chan error, 1)
	addr := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := w.(http.Pusher)
		if !ok {
			pushErr <- errors.New("not a Pusher")
			return
		}
		pushErr <- p.Push("/style.css", nil)
	}), nil)
	res, err := xnetTLS(t).Get("https://" + addr + "/") // x/net disables push
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := <-pushErr; !errors.Is(err, http.ErrNotSupported) {
		t.Fatalf("Push: %v, want http.ErrNotSupported", err)
	}
}

func TestResponseController(t *testing.T) {
	forEachClient(t, func(t *testing.T, k clientKind) {
		addr := k.start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if err := rc.EnableFullDuplex(); err != nil {
				t.Errorf("EnableFullDuplex: %v", err)
			}
			if err := rc.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
				t.Errorf("SetReadDeadline: %v", err)
			}
			// The client sends nothing more: the read times out.
			_, err := r.Body.Read(make([]byte, 10))
			if !errors.Is(err, errDeadline()) {
				t.Errorf("Read after deadline: %v", err)
			}
			io.WriteString(w, "part1,")
			if err := rc.Flush(); err != nil {
				t.Errorf("Flush: %v", err)
			}
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Errorf("SetWriteDeadline: %v", err)
			}
			io.WriteString(w, "part2")
		}), nil)
		pr, pw := io.Pipe()
		defer pw.Close()
		req, _ := http.NewRequest("POST", k.scheme+"://"+addr+"/", pr)
		res, err := k.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "part1,part2" {
			t.Fatalf("body %q", b)
		}
	})
}
