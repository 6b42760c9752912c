package h2server

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// curlPath returns curl if it is installed with HTTP/2 support; the test
// is skipped otherwise, unless H2KIT_REQUIRE_PEERS=1.
func curlPath(t *testing.T) string {
	p, err := exec.LookPath("curl")
	if err == nil {
		out, _ := exec.Command(p, "--version").Output()
		if strings.Contains(string(out), "HTTP2") {
			return p
		}
	}
	if requirePeers() {
		t.Fatal("curl with HTTP/2 support is required (H2KIT_REQUIRE_PEERS=1)")
	}
	t.Skip("curl with HTTP/2 support not installed")
	return ""
}

func runCurl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args = append([]string{"-sS", "--max-time", "10", "-w", "\n%{http_version} %{http_code}"}, args...)
	out, err := exec.CommandContext(ctx, curlPath(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCurl(t *testing.T) {
	curlPath(t)
	h := http.HandlerFunc(protoHandler)
	h2c := startH2C(t, h, nil)
	tlsAddr := startTLS(t, h, nil)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"prior-knowledge", []string{"--http2-prior-knowledge", "http://" + h2c + "/"}, "HTTP/2.0 GET 0\n2 200"},
		{"upgrade", []string{"--http2", "http://" + h2c + "/"}, "HTTP/2.0 GET 0\n2 200"},
		{"upgrade-post", []string{"--http2", "-d", "hello=world", "http://" + h2c + "/"}, "HTTP/2.0 POST 11\n2 200"},
		{"http1.1", []string{"--http1.1", "http://" + h2c + "/"}, "HTTP/1.1 GET 0\n1.1 200"},
		{"tls", []string{"-k", "--http2", "https://" + tlsAddr + "/"}, "HTTP/2.0 GET 0\n2 200"},
		{"tls-post", []string{"-k", "--http2", "--data-binary", "@-", "https://" + tlsAddr + "/"}, "HTTP/2.0 POST 0\n2 200"},
		{"tls-http1.1", []string{"-k", "--http1.1", "https://" + tlsAddr + "/"}, "HTTP/1.1 GET 0\n1.1 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := runCurl(t, c.args...); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestNghttp: nghttp (nghttp2's client) with prior knowledge, Upgrade and
// TLS, when installed.
func TestNghttp(t *testing.T) {
	bin, err := exec.LookPath("nghttp")
	if err != nil {
		if requirePeers() {
			t.Fatal("nghttp is required (H2KIT_REQUIRE_PEERS=1)")
		}
		t.Skip("nghttp not installed")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.(http.Pusher).Push("/pushed", nil)
		}
		protoHandler(w, r)
	})
	h2c := startH2C(t, h, nil)
	tlsAddr := startTLS(t, h, nil)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"prior-knowledge", []string{"http://" + h2c + "/x"}, []string{"HTTP/2.0 GET 0"}},
		{"upgrade", []string{"-u", "http://" + h2c + "/x"}, []string{"HTTP/2.0 GET 0"}},
		{"tls", []string{"https://" + tlsAddr + "/x"}, []string{"HTTP/2.0 GET 0"}},
		{"push", []string{"-v", "http://" + h2c + "/"}, []string{"recv PUSH_PROMISE", ":path: /pushed", "recv DATA frame <length=14, flags=0x01, stream_id=2>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, append([]string{"-t", "10"}, c.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("nghttp %v: %v\n%s", c.args, err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Fatalf("nghttp %v: output lacks %q:\n%s", c.args, w, out)
				}
			}
		})
	}
}
