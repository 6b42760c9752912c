package h2server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
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
	testpeer.Missing(t, "curl with HTTP/2 support")
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
		{"prior-knowledge-post", []string{"--http2-prior-knowledge", "-d", "hello=world", "http://" + h2c + "/"}, "HTTP/2.0 POST 11\n2 200"},
		{"http1.1", []string{"--http1.1", "http://" + h2c + "/"}, "HTTP/1.1 GET 0\n1.1 200"},
		{"tls", []string{"-k", "--http2", "https://" + tlsAddr + "/"}, "HTTP/2.0 GET 0\n2 200"},
		{"tls-post", []string{"-k", "--http2", "--data-binary", "@-", "https://" + tlsAddr + "/"}, "HTTP/2.0 POST 0\n2 200"},
		{"tls-post-body", []string{"-k", "--http2", "-d", "hello=world", "https://" + tlsAddr + "/"}, "HTTP/2.0 POST 11\n2 200"},
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
	bin := testpeer.Path(t, "nghttp")
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

// TestCurlUpgrade101: with --http2 on an http:// URL, curl asks for
// Upgrade: h2c; its -v output shows the 101 and the HTTP/2 response that
// follows on stream 1.
func TestCurlUpgrade101(t *testing.T) {
	bin := curlPath(t)
	addr := startH2C(t, http.HandlerFunc(protoHandler), nil)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"get", nil, "HTTP/2.0 GET 0"},
		{"post", []string{"-d", "hello=world"}, "HTTP/2.0 POST 11"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := append([]string{"-sS", "-v", "--max-time", "10", "--http2"}, c.args...)
			cmd := exec.CommandContext(ctx, bin, append(args, "http://"+addr+"/")...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, stderr.String())
			}
			for _, w := range []string{"Upgrade: h2c", "HTTP2-Settings:", "< HTTP/1.1 101 Switching Protocols", "< HTTP/2 200"} {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("curl -v output lacks %q:\n%s", w, stderr.String())
				}
			}
			if string(out) != c.want {
				t.Errorf("body %q, want %q", out, c.want)
			}
		})
	}
}

// TestNghttpMultiplexAndWindows: nghttp -m 10 (ten requests for one URL,
// multiplexed), and -w 14 -W 14 (stream and connection windows of 2^14-1)
// on a 1 MiB response, which must arrive intact.
func TestNghttpMultiplexAndWindows(t *testing.T) {
	bin := testpeer.Path(t, "nghttp")
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>11)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		protoHandler(w, r)
	})
	h2c := startH2C(t, h, nil)
	tlsAddr := startTLS(t, h, nil)
	for _, c := range []struct {
		name string
		args []string
		want []byte
	}{
		{"m10", []string{"-m", "10", "http://" + h2c + "/x"}, bytes.Repeat([]byte("HTTP/2.0 GET 0"), 10)},
		{"m10-tls", []string{"-m", "10", "https://" + tlsAddr + "/x"}, bytes.Repeat([]byte("HTTP/2.0 GET 0"), 10)},
		{"small-windows", []string{"-w", "14", "-W", "14", "http://" + h2c + "/big"}, big},
		{"small-windows-tls", []string{"-w", "14", "-W", "14", "https://" + tlsAddr + "/big"}, big},
		{"small-windows-upgrade", []string{"-u", "-w", "14", "-W", "14", "http://" + h2c + "/big"}, big},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"-t", "20"}, c.args...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("nghttp %v: %v\n%s", c.args, err, stderr.String())
			}
			if !bytes.Equal(out, c.want) {
				t.Fatalf("nghttp %v: %d bytes (sha256 %x), want %d (sha256 %x)\n%s", c.args,
					len(out), sha256.Sum256(out), len(c.want), sha256.Sum256(c.want), stderr.String())
			}
		})
	}
}
