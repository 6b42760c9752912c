package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h2kit/h2kit/internal/testpki"
)

// renegFiles are the PEM files of a test PKI: a CA, a server certificate
// for 127.0.0.1 and localhost, a client certificate.
type renegFiles struct {
	ca, srvCert, srvKey, cliCert, cliKey string
}

// writeRenegPKI makes the PKI in dir; the client's subject is
// CN=<name> client, O=h2kit tests.
func writeRenegPKI(t *testing.T, dir, name string) renegFiles {
	t.Helper()
	p := testpki.NewPKI(name)
	var f renegFiles
	var errs [3]error
	f.ca, _, errs[0] = p.CA.WriteFiles(dir, "ca")
	f.srvCert, f.srvKey, errs[1] = p.Server.WriteFiles(dir, "server")
	f.cliCert, f.cliKey, errs[2] = p.Client.WriteFiles(dir, "client")
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestParseServeClientCertFlags: --tls-backend, --client-ca and
// --client-cert-path: defaults, and clear errors for bad values.
func TestParseServeClientCertFlags(t *testing.T) {
	pki := writeRenegPKI(t, t.TempDir(), "flags")
	o, err := parseServeArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.cc.backend != "go" || o.cc.path != "/protected_resource" || o.cc.caPool != nil {
		t.Errorf("defaults: %+v", o.cc)
	}
	o, err = parseServeArgs([]string{"--tls-backend", "openssl", "--client-ca", pki.ca, "--client-cert-path", "/private/"})
	if err != nil || o.cc.backend != "openssl" || o.cc.caPool == nil || o.cc.path != "/private/" {
		t.Errorf("%v %+v", err, o)
	}
	if o, err := parseServeArgs([]string{"--client-cert-path", ""}); err != nil || !o.cc.disabled {
		t.Errorf("--client-cert-path \"\": %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-backend", "boringssl"}, "want go (crypto/tls) or openssl"},
		{[]string{"--client-cert-path", "private"}, "starting with /"},
		{[]string{"--client-ca", filepath.Join(t.TempDir(), "missing.pem")}, "--client-ca"},
		{[]string{"--client-ca", pki.srvKey}, "no PEM certificate"},
		{[]string{"--h2c", "--tls-backend", "openssl"}, "--h2c serves cleartext"},
	} {
		if _, err := parseServeArgs(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestServeUnderPath: which paths --client-cert-path covers.
func TestServeUnderPath(t *testing.T) {
	for _, c := range []struct {
		p, prefix string
		want      bool
	}{
		{"/protected_resource", "/protected_resource", true},
		{"/protected_resource/x", "/protected_resource", true},
		{"/protected_resources", "/protected_resource", false},
		{"/private/a", "/private/", true},
		{"/privatex", "/private/", false},
		{"/", "/protected_resource", false},
	} {
		if got := underPath(c.p, c.prefix); got != c.want {
			t.Errorf("underPath(%q, %q) = %v", c.p, c.prefix, got)
		}
	}
}

// TestServeOpenSSLBackendNotBuilt: the default build has no OpenSSL
// backend; --tls-backend openssl says which build tag it needs.
func TestServeOpenSSLBackendNotBuilt(t *testing.T) {
	code, _, errs := runH2kit(t, "serve", "--addr", "127.0.0.1:0", "--tls-backend", "openssl")
	if code != exitFailure || !strings.Contains(errs, "-tags h2kit_openssl") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// TestServeClientCertGoBackend: on crypto/tls with --client-ca, a client
// certificate given in the handshake opens /protected_resource over
// HTTP/2; without one the server cannot renegotiate: get sees
// HTTP_1_1_REQUIRED (RFC 9113, Section 9.2.1), and curl, retrying over
// HTTP/1.1, gets 403. --allow-renegotiation needs --cert.
func TestServeClientCertGoBackend(t *testing.T) {
	pki := writeRenegPKI(t, t.TempDir(), "gobackend")
	srv := startServe(t, "--cert", pki.srvCert, "--key", pki.srvKey, "--client-ca", pki.ca, "--no-access-log")
	url := srv.url + "/protected_resource"
	code, out, errs := getCmd(t, "--cacert", pki.ca, "--cert", pki.cliCert, "--key", pki.cliKey, url)
	if code != 0 || !strings.Contains(out, "subject: CN=gobackend client,O=h2kit tests") || !strings.Contains(out, "HTTP/2.0") {
		t.Fatalf("with a certificate: exit %d, %q, %s", code, out, errs)
	}
	code, _, errs = getCmd(t, "--cacert", pki.ca, url)
	if code == 0 || !strings.Contains(errs, "HTTP_1_1_REQUIRED") {
		t.Errorf("without a certificate: exit %d, %s", code, errs)
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "--http2", "--cacert", pki.ca, "-w", "%{http_version} %{http_code}", url).Output()
		if err != nil || !strings.HasSuffix(string(out), "1.1 403") {
			t.Errorf("curl without a certificate: %v, %q", err, out)
		}
	}
	if code, _, errs := getCmd(t, "--allow-renegotiation", url); code != exitUsage || !strings.Contains(errs, "--allow-renegotiation needs --cert") {
		t.Errorf("--allow-renegotiation without --cert: exit %d, %s", code, errs)
	}
}
