package h2client

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// servers returns the in-process HTTP/2 servers every basic test runs
// against: h2server and net/http, over TLS and h2c.
func servers(t *testing.T, h http.Handler) map[string]string {
	return map[string]string{
		"h2server-tls": startH2Server(t, h, nil),
		"h2server-h2c": startH2ServerH2C(t, h, nil),
		"go-tls":       startGoTLS(t, h),
		"xnet-h2c":     startXnetH2C(t, h),
	}
}

func TestGet(t *testing.T) {
	th := newTestHandler()
	for name, base := range servers(t, th) {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			tr.AllowHTTP = true
			resp, err := client(tr).Get(base + "/hello")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || string(b) != "hello HTTP/2.0" || resp.Proto != "HTTP/2.0" {
				t.Fatalf("got %s %q %s", resp.Status, b, resp.Proto)
			}
			if resp.Header.Get("X-Proto") != "HTTP/2.0" {
				t.Fatalf("header %v", resp.Header)
			}
		})
	}
}

func TestPostEcho(t *testing.T) {
	th := newTestHandler()
	for name, base := range servers(t, th) {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			tr.AllowHTTP = true
			const n = 1 << 20
			resp, err := client(tr).Post(base+"/echo", "application/octet-stream", &patternReader{n: n})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := checkPattern(resp.Body, n); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTrailers(t *testing.T) {
	th := newTestHandler()
	for name, base := range servers(t, th) {
		t.Run(name, func(t *testing.T) {
			tr := newTransport(t)
			tr.AllowHTTP = true
			resp, err := client(tr).Get(base + "/trailers")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "body" || resp.Trailer.Get("X-Sum") != "42" {
				t.Fatalf("body %q trailer %v", b, resp.Trailer)
			}
			// Request trailers, echoed back as response trailers.
			req, _ := http.NewRequest("POST", base+"/echo", io.NopCloser(strings.NewReader("data")))
			req.Trailer = http.Header{"X-Check": nil}
			pr, pw := io.Pipe()
			req.Body = pr
			go func() {
				pw.Write([]byte("data"))
				req.Trailer.Set("X-Check", "ok")
				pw.Close()
			}()
			resp, err = client(tr).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(b, []byte("data")) || resp.Trailer.Get("Req-X-Check") != "ok" {
				t.Fatalf("body %q trailer %v", b, resp.Trailer)
			}
		})
	}
}

func TestInvalidMethod(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://127.0.0.1:1/", nil)
	req.Method = "BAD METHOD"
	if _, err := newTransport(t).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "invalid method") {
		t.Fatalf("err %v", err)
	}
}

// validMethod accepts exactly the tokens of RFC 9110, Section 5.6.2: no
// controls, space, DEL, non-ASCII or delimiters.
func TestValidMethodBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c > ' ' && c < 0x7f && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c))
		if got := validMethod("G" + string([]byte{byte(c)})); got != want {
			t.Errorf("byte %#x: validMethod %v, want %v", c, got, want)
		}
	}
	if !validMethod("") || !validMethod("PROPFIND") || validMethod("GET ") {
		t.Error("validMethod on whole methods")
	}
}

// TestHasPort: hasPort agrees with url.URL.Port on which hosts carry a
// port.
func TestHasPort(t *testing.T) {
	for _, h := range []string{"example.com", "example.com:443", "example.com:", "127.0.0.1:18449", "[::1]", "[::1]:8080",
		"[::1]:", "::1", "[fe80::1%25en0]:80", ":80", "80", "", "a:b", "a:8b0", "a:0", "[::1]8080"} {
		u := &url.URL{Host: h}
		if got, want := hasPort(h), u.Port() != ""; got != want {
			t.Errorf("%q: hasPort %v, url.Port %q", h, got, u.Port())
		}
	}
}
