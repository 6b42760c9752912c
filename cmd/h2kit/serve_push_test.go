package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/internal/testpeer"
)

// TestServePushDiary: the diary claims a key once, releases a failed
// claim, recognises the pushed request once, and is bounded.
func TestServePushDiary(t *testing.T) {
	var d pushDiary
	k := pushKey("example.test", "/a.css")
	if !d.claim(k) || d.claim(k) {
		t.Fatal("a key is claimed exactly once")
	}
	d.release(k)
	if !d.claim(k) {
		t.Fatal("a released claim can be claimed again")
	}
	if !d.takePromised(k) || d.takePromised(k) {
		t.Error("the pushed request is recognised exactly once")
	}
	d.release(k) // served: kept
	if d.claim(k) {
		t.Error("a served push was forgotten by release")
	}
	if d.takePromised(pushKey("example.test", "/other")) {
		t.Error("an unpromised request taken as pushed")
	}
	for i := 0; d.len() < pushDiaryMax; i++ {
		if !d.claim(pushKey(fmt.Sprint("h", i), "/a.css")) {
			t.Fatalf("claim %d refused below the bound", i)
		}
	}
	if d.claim(pushKey("new.test", "/a.css")) || d.len() != pushDiaryMax {
		t.Errorf("a full diary took a claim (%d entries)", d.len())
	}
}

// diaryPusher is a ResponseWriter that records pushes, and fails them
// when fail is set.
type diaryPusher struct {
	*httptest.ResponseRecorder
	pushed []string
	fail   bool
	marked bool
}

func (p *diaryPusher) Push(target string, _ *http.PushOptions) error {
	if p.fail {
		return http.ErrNotSupported
	}
	p.pushed = append(p.pushed, target)
	return nil
}

func (p *diaryPusher) markPushed() { p.marked = true }

// TestServePushOncePerConnection: with a diary per connection (by
// RemoteAddr), the page's assets are promised on the first request of
// the page only; another connection gets them again; a failed push is
// tried again later; the pushed request is recognised.
func TestServePushOncePerConnection(t *testing.T) {
	diaries := map[string]*pushDiary{"192.0.2.1:1": {}, "192.0.2.2:2": {}}
	h, err := newServeHandlerDiary(&serveOptions{}, func(remote string) *pushDiary { return diaries[remote] })
	if err != nil {
		t.Fatal(err)
	}
	get := func(remote, target string, fail bool, header bool) *diaryPusher {
		req := httptest.NewRequest("GET", target, nil)
		req.ProtoMajor, req.RemoteAddr = 2, remote
		if header {
			req.Header.Set("User-Agent", "test")
		} else {
			req.Header = http.Header{}
		}
		w := &diaryPusher{ResponseRecorder: httptest.NewRecorder(), fail: fail}
		h.ServeHTTP(w, req)
		return w
	}
	if w := get("192.0.2.1:1", "/", true, true); w.pushed != nil {
		t.Fatalf("failing push: %v", w.pushed)
	}
	if got := get("192.0.2.1:1", "/", false, true).pushed; !slices.Equal(got, demoPush) {
		t.Errorf("after a failed push, first page request pushed %v", got)
	}
	if got := get("192.0.2.1:1", "/?second", false, true).pushed; got != nil {
		t.Errorf("second page request on the connection pushed %v", got)
	}
	if got := get("192.0.2.1:1", "/index.html", false, true).pushed; got != nil {
		t.Errorf("/index.html on the connection pushed %v", got)
	}
	if got := get("192.0.2.2:2", "/", false, true).pushed; !slices.Equal(got, demoPush) {
		t.Errorf("another connection: pushed %v", got)
	}
	// An unknown connection (no diary) pushes every time.
	for range 2 {
		if got := get("198.51.100.1:3", "/", false, true).pushed; !slices.Equal(got, demoPush) {
			t.Errorf("no diary: pushed %v", got)
		}
	}
	// The pushed request (no header fields) is recognised once; a
	// client's own request for the asset is not.
	if w := get("192.0.2.1:1", "/style.css", false, true); w.marked {
		t.Error("a client's request taken as pushed")
	}
	if w := get("192.0.2.1:1", "/style.css", false, false); !w.marked || w.Code != 200 {
		t.Errorf("pushed request: marked %v, status %d", w.marked, w.Code)
	}
	if w := get("192.0.2.1:1", "/style.css", false, false); w.marked {
		t.Error("the pushed request recognised twice")
	}
}

// pushCounter counts, over h2client, the connections made and the
// promises received per page request.
type pushCounter struct {
	mu       sync.Mutex
	conns    int
	promises []string
}

// client returns an h2client over TLS (skipping verification) or h2c
// with prior knowledge that accepts pushes and counts them.
func (pc *pushCounter) client(h2c bool) *http.Client {
	tr := &h2client.Transport{
		AllowHTTP:       h2c,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		NewTracer: func(net.Conn) h2kit.Tracer {
			pc.mu.Lock()
			pc.conns++
			pc.mu.Unlock()
			return nil
		},
		AcceptPush: func(req *http.Request) bool {
			pc.mu.Lock()
			pc.promises = append(pc.promises, req.URL.Path)
			pc.mu.Unlock()
			return true
		},
		PushHandler: func(_ *http.Request, resp *http.Response) {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		},
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// take returns the promises counted so far and starts again.
func (pc *pushCounter) take() (conns int, promises []string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	p := pc.promises
	pc.promises = nil
	return pc.conns, p
}

// TestServeE2EPushOncePerConnection: h2client asks for the demo page
// twice on one connection (TLS and h2c): the first request gets the
// three PUSH_PROMISEs, the second none; a new connection gets them again.
func TestServeE2EPushOncePerConnection(t *testing.T) {
	for _, h2c := range []bool{false, true} {
		name := "tls"
		var args []string
		if h2c {
			name, args = "h2c", []string{"--h2c"}
		}
		t.Run(name, func(t *testing.T) {
			p := startServe(t, args...)
			var pc pushCounter
			c := pc.client(h2c)
			page := func(target string) {
				t.Helper()
				if res, body := fetch(t, c, "GET", p.url+target, nil); res.StatusCode != 200 || !strings.Contains(body, "HTTP/2 at work") {
					t.Fatalf("%s: %d", target, res.StatusCode)
				}
			}
			page("/")
			if conns, got := pc.take(); conns != 1 || len(got) != len(demoPush) {
				t.Fatalf("first request: %d connections, promises %v", conns, got)
			}
			page("/?second")
			page("/index.html")
			if conns, got := pc.take(); conns != 1 || len(got) != 0 {
				t.Errorf("later requests on the connection: %d connections, promises %v", conns, got)
			}
			c.CloseIdleConnections()
			c2 := pc.client(h2c)
			if res, _ := fetch(t, c2, "GET", p.url+"/", nil); res.StatusCode != 200 {
				t.Fatalf("new connection: %d", res.StatusCode)
			}
			if conns, got := pc.take(); conns != 2 || len(got) != len(demoPush) {
				t.Errorf("new connection: %d connections, promises %v", conns, got)
			}
			c2.CloseIdleConnections()
			if code := p.stop(t, syscall.SIGTERM); code != 0 {
				t.Errorf("exit status %d", code)
			}
		})
	}
}

// TestServeE2ENghttpPushOnce: nghttp asks for the page twice on one
// connection (h2c prior knowledge, h2c Upgrade, TLS): three PUSH_PROMISEs
// in all, no RST_STREAM, every request processed.
func TestServeE2ENghttpPushOnce(t *testing.T) {
	testpeer.Path(t, "nghttp")
	check := func(name, out string) {
		t.Helper()
		if n := strings.Count(out, "recv PUSH_PROMISE frame"); n != len(demoPush) {
			t.Errorf("%s: %d PUSH_PROMISE frames, want %d:\n%s", name, n, len(demoPush), out)
		}
		for _, bad := range []string{"RST_STREAM", "not processed"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: output has %q:\n%s", name, bad, out)
			}
		}
	}
	h2cSrv := startServe(t, "--h2c")
	check("h2c", runNghttp(t, "-nv", h2cSrv.url+"/", h2cSrv.url+"/?second"))
	check("h2c Upgrade", runNghttp(t, "-nuv", h2cSrv.url+"/", h2cSrv.url+"/?second"))
	if code := h2cSrv.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("h2c server: exit status %d", code)
	}
	tlsSrv := startServe(t)
	check("TLS", runNghttp(t, "-nv", tlsSrv.url+"/", tlsSrv.url+"/?second"))
	if code := tlsSrv.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("TLS server: exit status %d", code)
	}
}
