package h2server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// Interoperability with real peers. curl and nghttp are tested in
// curl_test.go, h2spec in h2spec_test.go, Go's net/http client (TLS and
// h2c) and golang.org/x/net's by every test of server_test.go
// (clientKinds); h2load, the load generator of nghttp2, here. A missing
// peer skips its test, unless H2KIT_REQUIRE_PEERS=1 (CI), which fails it.

// h2loadRequests matches h2load's summary line, e.g. "requests: 1000
// total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0
// timeout".
var h2loadRequests = regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored`)

// h2loadStatus matches "status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx".
var h2loadStatus = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)

// TestH2load: h2load -c 10 -m 10 (ten connections, ten streams each at
// once) over h2c with prior knowledge and over TLS; every request must
// succeed with a 2xx.
func TestH2load(t *testing.T) {
	bin := testpeer.Path(t, "h2load")
	const n = 2000
	// POST bodies must arrive whole: a short one gets a 500.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, err := io.ReadAll(r.Body); err != nil || (r.Method == "POST" && len(b) != 4096) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, r.Proto)
	})
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, bytes.Repeat([]byte("b"), 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		url  string
		args []string
	}{
		{"h2c", "http://" + startH2C(t, h, nil) + "/", nil},
		{"tls", "https://" + startTLS(t, h, nil) + "/", nil},
		{"tls-post", "https://" + startTLS(t, h, nil) + "/", []string{"-d", body}},
		{"h2c-post", "http://" + startH2C(t, h, nil) + "/", []string{"-d", body}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append([]string{"-n", strconv.Itoa(n), "-c", "10", "-m", "10", "-T", "20"}, c.args...)
			out, err := exec.CommandContext(ctx, bin, append(args, c.url)...).CombinedOutput()
			if err != nil {
				t.Fatalf("h2load %v: %v\n%s", args, err, out)
			}
			m := h2loadRequests.FindSubmatch(out)
			if m == nil {
				t.Fatalf("h2load output has no requests line:\n%s", out)
			}
			total, _ := strconv.Atoi(string(m[1]))
			done, _ := strconv.Atoi(string(m[3]))
			succeeded, _ := strconv.Atoi(string(m[4]))
			if total != n || done != n || succeeded != n {
				t.Errorf("h2load: %s\n%s", m[0], out)
			}
			if s := h2loadStatus.FindSubmatch(out); s == nil || string(s[1]) != strconv.Itoa(n) {
				t.Errorf("h2load status codes: %q, want %d 2xx", s, n)
			}
			t.Logf("%s; %s", m[0], firstMatch(out, `finished in [^\n]*`))
		})
	}
}

func firstMatch(b []byte, expr string) string {
	return string(regexp.MustCompile(expr).Find(b))
}
