package main

// Tests of get's error messages (issue 14, "error messages that say what
// to do"): what to do about an untrusted certificate, a server without
// HTTP/2 prior knowledge, a server without the Upgrade; no package names
// or bare EOF; long flags with two dashes and one pointer to -h.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// getErr runs get in-process and returns its exit status and standard
// error.
func getErr(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := runGet(args, &out, &errs)
	return code, errs.String()
}

// noInternals fails the test if msg names an h2kit package or ends in a
// bare EOF.
func noInternals(t *testing.T, what, msg string) {
	t.Helper()
	for _, bad := range []string{"h2client:", "connloop:", "h2kit:", ": EOF"} {
		if strings.Contains(msg, bad) {
			t.Errorf("%s: %q in %q", what, bad, msg)
		}
	}
}

func TestGetErrorUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	code, errs := getErr(t, srv.URL+"/")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	mustContain(t, "stderr", errs, "certificate", "--cacert FILE trusts the CAs of FILE, -k skips verification")
	noInternals(t, "untrusted certificate", errs)
	if code, errs := getErr(t, "-k", srv.URL+"/"); code != 0 {
		t.Errorf("-k: exit %d: %s", code, errs)
	}
}

// h2c with prior knowledge against an HTTP/1.1-only server suggests -u.
func TestGetErrorHTTP1Server(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h1") }))
	defer srv.Close()
	code, errs := getErr(t, srv.URL+"/")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	mustContain(t, "stderr", errs, "-u asks")
	noInternals(t, "HTTP/1.1 server", errs)
}

// -u against a server that speaks h2c only with prior knowledge says the
// server does not do the Upgrade.
func TestGetErrorUpgradeRefused(t *testing.T) {
	base := newPriorKnowledgeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h2") }))
	code, errs := getErr(t, "-u", base+"/")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	mustContain(t, "stderr", errs, "did not answer the HTTP/1.1 Upgrade request", "does not do the Upgrade to h2c", "without -u")
	noInternals(t, "-u against prior knowledge only", errs)
	if code, errs := getErr(t, base+"/"); code != 0 {
		t.Errorf("without -u: exit %d: %s", code, errs)
	}
}

func TestGetUserText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("h2client: server does not support HTTP/2"), "server does not support HTTP/2"},
		{fmt.Errorf("x: %w", errors.New("connloop: connection closed by the peer")), "x: connection closed by the peer"},
		{errors.New("h2kit: connection error (local): PROTOCOL_ERROR: first frame is not SETTINGS"), "connection error (local): PROTOCOL_ERROR: first frame is not SETTINGS"},
		{io.EOF, "the server closed the connection"},
		{fmt.Errorf("read: %w", io.EOF), "read: the server closed the connection"},
		{fmt.Errorf("body: %w", io.ErrUnexpectedEOF), "body: the connection closed in the middle of a message"},
	} {
		if got := userText(tc.err); got != tc.want {
			t.Errorf("userText(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// Flag errors name long flags with two dashes, in get, serve and bench
// (the flag helper is shared), and get points to its -h.
func TestGetFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "--nope", "http://h/"}, "h2kit get: option --nope is not defined\nRun \"h2kit get -h\" for usage.\n"},
		{[]string{"get", "-nz", "http://h/"}, "h2kit get: option -nz is not defined\n"},
		{[]string{"get", "-timeout=abc", "http://h/"}, `h2kit get: invalid value "abc" for --timeout: `},
		{[]string{"get", "http://h/", "--multiply"}, "h2kit get: option --multiply needs a value\n"},
		{[]string{"get", "-m", "x", "http://h/"}, `h2kit get: invalid value "x" for -m: want a whole number`},
		{[]string{"get", "--null-out=maybe", "http://h/"}, `invalid value "maybe" for --null-out: it takes no value, or true or false`},
		{[]string{"serve", "--nope"}, "h2kit serve: option --nope is not defined\n"},
		{[]string{"bench", "--nope", "http://h/"}, "h2kit bench: option --nope is not defined\n"},
		{[]string{"bench", "-n", "x", "http://h/"}, `invalid value "x" for -n: want a whole number`},
	} {
		var out, errs bytes.Buffer
		code := dispatch(tc.args, &out, &errs)
		if code != exitUsage || !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q in it", tc.args, code, errs.String(), tc.want)
		}
	}
}

// get's TLS flags go through the helper bench uses (tlsflags.go), with
// the same error texts as before.
func TestGetTLSFlagErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := "https://127.0.0.1:1/"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cacert", filepath.Join(dir, "missing.pem"), u}, "h2kit get: --cacert: open "},
		{[]string{"--cacert", notPEM, u}, "h2kit get: --cacert " + notPEM + ": no PEM certificate in the file\n"},
		{[]string{"--cert", notPEM, "--key", notPEM, u}, "h2kit get: --cert/--key: "},
		{[]string{"--keylog", filepath.Join(dir, "no", "such", "dir"), u}, "h2kit get: key log: open "},
	} {
		code, errs := getErr(t, tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q in it", tc.args, code, errs, tc.want)
		}
	}
	// An http:// URL opens no key log, even an unusable one.
	base := newPriorKnowledgeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	if code, errs := getErr(t, "-n", "--keylog", filepath.Join(dir, "no", "such", "dir"), base+"/"); code != 0 {
		t.Errorf("--keylog with http://: exit %d: %s", code, errs)
	}
	// $SSLKEYLOGFILE is the default key log.
	keys := filepath.Join(dir, "keys.log")
	t.Setenv("SSLKEYLOGFILE", keys)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	if code, errs := getErr(t, "-n", "-k", srv.URL+"/"); code != 0 {
		t.Fatalf("-k: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(keys); !bytes.Contains(b, []byte("CLIENT_TRAFFIC_SECRET_0 ")) {
		t.Errorf("$SSLKEYLOGFILE:\n%s", b)
	}
}
