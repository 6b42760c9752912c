package h2client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2server"
)

// TestHTTP11RequiredRetry: a request the server resets with
// HTTP_1_1_REQUIRED (RFC 9113, Section 7; what h2server.RequireHTTP11
// sends when it needs a TLS renegotiation) is sent again over HTTP/1.1,
// with its body (GetBody); the origin's other requests stay on HTTP/2.
// With DisableHTTP1, or a sent body that cannot be rewound, the reset is
// the error.
func TestHTTP11RequiredRetry(t *testing.T) {
	var h2resets atomic.Int32
	base := startH2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.ProtoMajor == 2 && strings.HasPrefix(r.URL.Path, "/h1only") {
			if err := h2server.RequireHTTP11(w); err != nil {
				t.Errorf("RequireHTTP11: %v", err)
			}
			h2resets.Add(1)
			return
		}
		io.WriteString(w, r.Proto+" "+r.Method+" "+string(b))
	}), nil)
	tr := newTransport(t)
	c := client(tr)

	do := func(method, path string, body io.Reader) (*http.Response, string, error) {
		req, _ := http.NewRequest(method, base+path, body)
		resp, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	if _, got, err := do("GET", "/h1only", nil); err != nil || got != "HTTP/1.1 GET " {
		t.Fatalf("GET /h1only: %q, %v; want it over HTTP/1.1", got, err)
	}
	if _, got, err := do("POST", "/h1only/post", strings.NewReader("payload")); err != nil || got != "HTTP/1.1 POST payload" {
		t.Fatalf("POST /h1only/post: %q, %v; want it over HTTP/1.1 with its body", got, err)
	}
	if _, got, err := do("GET", "/other", nil); err != nil || got != "HTTP/2.0 GET " {
		t.Fatalf("GET /other: %q, %v; want it over HTTP/2 still", got, err)
	}
	if n := h2resets.Load(); n != 2 {
		t.Errorf("%d HTTP/2 attempts reset, want 2", n)
	}

	// A body that was sent and cannot be rewound: not sent again.
	big := bytes.Repeat([]byte("x"), 1<<20)
	req, _ := http.NewRequest("POST", base+"/h1only/nogetbody", io.NopCloser(bytes.NewReader(big)))
	req.GetBody = nil
	_, err := c.Do(req)
	var se *h2kit.StreamError
	if !errors.As(err, &se) || se.Code != frame.ErrCodeHTTP11Required || !strings.Contains(err.Error(), "not sent again over HTTP/1.1") {
		t.Errorf("POST without GetBody: %v; want the HTTP_1_1_REQUIRED reset, not retried", err)
	}

	// DisableHTTP1: the reset is the answer.
	tr2 := newTransport(t)
	tr2.DisableHTTP1 = true
	_, err = client(tr2).Get(base + "/h1only")
	if !errors.As(err, &se) || se.Code != frame.ErrCodeHTTP11Required {
		t.Errorf("DisableHTTP1: %v; want the HTTP_1_1_REQUIRED reset", err)
	}
}
