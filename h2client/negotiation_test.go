package h2client

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func getBody(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
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

// TestTLSFallbackHTTP1: a TLS server without h2 gets HTTP/1.1 through
// the standard library, on the connection already open.
func TestTLSFallbackHTTP1(t *testing.T) {
	th := newTestHandler()
	base := startGoH1TLS(t, th)
	tr := newTransport(t)
	for range 3 {
		resp, body := getBody(t, client(tr), base+"/hello")
		if resp.Proto != "HTTP/1.1" || body != "hello HTTP/1.1" {
			t.Fatalf("%s %q", resp.Proto, body)
		}
	}
	tr2 := newTransport(t)
	tr2.DisableHTTP1 = true
	if _, err := client(tr2).Get(base + "/hello"); !errors.Is(err, ErrNoHTTP2) {
		t.Fatalf("DisableHTTP1: err %v, want ErrNoHTTP2", err)
	}
}

// TestPlainHTTPDefault: http URLs without AllowHTTP or UpgradeH2C use
// HTTP/1.1.
func TestPlainHTTPDefault(t *testing.T) {
	th := newTestHandler()
	base := startH2ServerH2C(t, th, nil)
	resp, body := getBody(t, client(newTransport(t)), base+"/hello")
	if resp.Proto != "HTTP/1.1" || body != "hello HTTP/1.1" {
		t.Fatalf("%s %q", resp.Proto, body)
	}
}

// TestUpgrade: h2c by Upgrade against servers that switch, and one that
// ignores the Upgrade (an ordinary HTTP/1.1 exchange, then HTTP/1.1).
func TestUpgrade(t *testing.T) {
	th := newTestHandler()
	for name, c := range map[string]struct {
		base  string
		proto string
	}{
		"h2server": {startH2ServerH2C(t, th, nil), "HTTP/2.0"},
		"xnet-h2c": {startXnetH2C(t, th), "HTTP/2.0"},
		"http1":    {startGoH1(t, th), "HTTP/1.1"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			tr.UpgradeH2C = true
			for i := range 3 {
				resp, body := getBody(t, client(tr), c.base+"/hello")
				// (x/net's h2c server shows the upgraded request as HTTP/1.1.)
				if resp.Proto != c.proto || !strings.HasPrefix(body, "hello HTTP/") || (i > 0 && body != "hello "+c.proto) {
					t.Fatalf("request %d: %s %q", i, resp.Proto, body)
				}
			}
			// A request with a body rides the Upgrade too (on a new
			// Transport: the first request is the one that upgrades).
			tr2 := newTransport(t)
			tr2.UpgradeH2C = true
			resp, err := client(tr2).Post(c.base+"/echo", "text/plain", strings.NewReader("upgrade body"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "upgrade body" || resp.Proto != c.proto {
				t.Fatalf("POST: %s %q", resp.Proto, b)
			}
			resp, body := getBody(t, client(tr2), c.base+"/hello")
			if resp.Proto != c.proto || !strings.HasPrefix(body, "hello HTTP/") {
				t.Fatalf("after POST: %s %q", resp.Proto, body)
			}
		})
	}
}

// TestPriorKnowledge: h2c with prior knowledge; one connection for
// sequential requests.
func TestPriorKnowledge(t *testing.T) {
	th := newTestHandler()
	for name, base := range map[string]string{
		"h2server": startH2ServerH2C(t, th, nil),
		"xnet-h2c": startXnetH2C(t, th),
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			tr.AllowHTTP = true
			var cc connCounter
			for range 3 {
				req, _ := http.NewRequest("GET", base+"/hello", nil)
				resp, err := client(tr).Do(cc.trace(req))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "hello HTTP/2.0" {
					t.Fatalf("%q", b)
				}
			}
			if cc.n() != 1 {
				t.Fatalf("%d connections", cc.n())
			}
		})
	}
}

// TestUpgradeConcurrent: requests that arrive while the first one is
// upgrading wait for its connection and share it.
func TestUpgradeConcurrent(t *testing.T) {
	th := newTestHandler()
	base := startH2ServerH2C(t, th, nil)
	tr := newTransport(t)
	tr.UpgradeH2C = true
	var cc connCounter
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/hello", nil)
			resp, err := client(tr).Do(cc.trace(req))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 || string(b) != "hello HTTP/2.0" {
				t.Errorf("%s %q", resp.Proto, b)
			}
		}()
	}
	wg.Wait()
	if n := len(tr.getPool().connsFor(poolKey(base))); n != 1 {
		t.Fatalf("%d connections", n)
	}
}
