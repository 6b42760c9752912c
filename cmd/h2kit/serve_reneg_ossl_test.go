//go:build h2kit_openssl && cgo

package main

// h2kit serve --tls-backend openssl end to end (MS-HTTP2E): run with
//
//	go test -tags h2kit_openssl -run OpenSSL ./cmd/h2kit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/h2kit/h2kit/internal/testpeer"
)

var (
	osslBinOnce sync.Once
	osslBin     string
	osslBinErr  error
)

// h2kitOpenSSLBinary builds h2kit with the OpenSSL backend (h2kitBinary
// builds the default one).
func h2kitOpenSSLBinary(t *testing.T) string {
	t.Helper()
	h2kitBinary(t) // skips with -short
	osslBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "h2kit-ossl-test")
		if err != nil {
			osslBinErr = err
			return
		}
		osslBin = filepath.Join(dir, "h2kit")
		if out, err := exec.Command("go", "build", "-tags", "h2kit_openssl", "-o", osslBin, ".").CombinedOutput(); err != nil {
			osslBinErr = fmt.Errorf("go build -tags h2kit_openssl: %v\n%s", err, out)
		}
	})
	if osslBinErr != nil {
		t.Fatal(osslBinErr)
	}
	return osslBin
}

// startServeOpenSSL runs the OpenSSL build's serve with args on a free
// loopback port, as startServe does for the default build.
func startServeOpenSSL(t *testing.T, args ...string) *serveProc {
	t.Helper()
	return startServeBinary(t, h2kitOpenSSLBinary(t), append([]string{"--tls-backend", "openssl"}, args...)...)
}

// settingsBlock returns the lines of the first SETTINGS frame (not an
// ACK) that a -v trace shows sent (dir "send") or received ("recv").
func settingsBlock(trace, dir string) string {
	re := regexp.MustCompile(`(?m)^\[[ 0-9.]+\] ` + dir + ` SETTINGS frame <[^>]*flags=0x00[^>]*>\n((?: {10}.*\n)*)`)
	m := re.FindStringSubmatch(trace)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestServeOpenSSLGetRenegotiation is the seed's walkthrough (MS-HTTP2E
// section 4) with the tools: h2kit get --allow-renegotiation with a
// client certificate against h2kit serve --tls-backend openssl; -v shows
// TLS_RENEG_PERMITTED = 0x02 in both SETTINGS frames, and the response
// on stream 1, over HTTP/2 and TLS 1.2, names the certificate's subject.
func TestServeOpenSSLGetRenegotiation(t *testing.T) {
	pki := writeRenegPKI(t, t.TempDir(), "walkthrough")
	srv := startServeOpenSSL(t, "--cert", pki.srvCert, "--key", pki.srvKey, "--client-ca", pki.ca)
	code, out, errs := runH2kit(t, "get", "-v", "--cacert", pki.ca, "--cert", pki.cliCert, "--key", pki.cliKey,
		"--allow-renegotiation", srv.url+"/protected_resource")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s\nserver: %s", code, out, errs, srv.out)
	}
	mustContain(t, "body", out, "client certificate subject: CN=walkthrough client,O=h2kit tests", "protocol: HTTP/2.0, TLS 1.2")
	for _, dir := range []string{"send", "recv"} {
		if b := settingsBlock(errs, dir); !strings.Contains(b, "[TLS_RENEG_PERMITTED(0x10):2]") {
			t.Errorf("%s SETTINGS without TLS_RENEG_PERMITTED 0x02:\n%s\ntrace:\n%s", dir, b, errs)
		}
	}
	mustContain(t, "trace", errs, "recv HEADERS frame <length=", "flags=0x04, stream_id=1>", "recv DATA frame <length=", "flags=0x01, stream_id=1>")
	srv.waitOutput(t, "path=/protected_resource status=200", "proto=HTTP/2.0")
	// Without --allow-renegotiation (no 0x02): HTTP_1_1_REQUIRED, and get
	// (HTTP/2 only) says so.
	code, _, errs = runH2kit(t, "get", "--cacert", pki.ca, "--cert", pki.cliCert, "--key", pki.cliKey, srv.url+"/protected_resource")
	if code == 0 || !strings.Contains(errs, "HTTP_1_1_REQUIRED") {
		t.Errorf("without --allow-renegotiation: exit %d, %s", code, errs)
	}
}

// TestServeOpenSSLCurl: curl does not send TLS_RENEG_PERMITTED, so the
// server resets the stream with HTTP_1_1_REQUIRED (RFC 9113, Section
// 9.2.1); curl retries over HTTP/1.1, the server renegotiates there and
// curl gets 200 with the certificate's subject. Without a certificate:
// 403 (curl --fail: exit 22). Paths outside --client-cert-path stay on
// HTTP/2 without any of this.
func TestServeOpenSSLCurl(t *testing.T) {
	curl := testpeer.Path(t, "curl")
	pki := writeRenegPKI(t, t.TempDir(), "curl")
	srv := startServeOpenSSL(t, "--cert", pki.srvCert, "--key", pki.srvKey, "--client-ca", pki.ca, "--client-cert-path", "/protected_resource")
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(curl, append([]string{"-sS", "--max-time", "20", "--cacert", pki.ca}, args...)...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	code, out, errs := run("-v", "--http2", "--cert", pki.cliCert, "--key", pki.cliKey, srv.url+"/protected_resource")
	if code != 0 {
		t.Fatalf("curl exit %d\n%s\n%s\nserver: %s", code, out, errs, srv.out)
	}
	mustContain(t, "curl's output", out, "client certificate subject: CN=curl client,O=h2kit tests", "protocol: HTTP/1.1, TLS 1.2")
	mustContain(t, "curl -v", errs, "HTTP_1_1_REQUIRED", "> GET /protected_resource HTTP/1.1", "< HTTP/1.1 200")
	srv.waitOutput(t, "path=/protected_resource status=200 bytes=", "proto=HTTP/1.1")

	code, out, _ = run("--http2", "--fail", srv.url+"/protected_resource")
	if code != 22 {
		t.Errorf("without a certificate: curl exit %d (want 22, HTTP 403): %q", code, out)
	}
	code, out, _ = run("--http2", "-w", "%{http_version} %{http_code}", "-o", "/dev/null", srv.url+"/headers")
	if code != 0 || out != "2 200" {
		t.Errorf("unprotected /headers: exit %d, %q", code, out)
	}
}
