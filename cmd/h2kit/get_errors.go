package main

// This file words get's errors for the user: what went wrong in terms of
// the command line, what to do about it (-k and --cacert for a
// certificate, -u or https:// for a server that does not do HTTP/2 with
// prior knowledge, no -u for one that does not do the Upgrade), and no
// names of packages ("h2client:", "connloop:", "h2kit:") or bare "EOF".

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/url"
	"strings"
	"sync"
)

// sniffMax is how many of the first bytes read on a connection get keeps,
// to tell what kind of server answered.
const sniffMax = 256

// firstBytes keeps the first bytes read on a connection.
type firstBytes struct {
	mu  sync.Mutex
	b   []byte
	any bool // something was read
}

// note keeps what of p falls within the first sniffMax bytes.
func (f *firstBytes) note(p []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.any = true
	if n := sniffMax - len(f.b); n > 0 {
		f.b = append(f.b, p[:min(n, len(p))]...)
	}
}

// get returns a copy of the bytes kept.
func (f *firstBytes) get() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.b)
}

// requestError words the error of a request to u that got no response.
// connected tells whether a connection to its address was made, and
// first is what the server sent first on the last one.
func requestError(u *url.URL, upgrade bool, err error, connected bool, first []byte) string {
	msg := userText(err)
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return msg + " (--cacert FILE trusts the CAs of FILE, -k skips verification)"
	}
	if u.Scheme != "http" {
		if strings.Contains(msg, "does not look like a TLS handshake") {
			return msg + " (the server does not speak TLS: for cleartext, use an http:// URL)"
		}
		return msg
	}
	h1 := bytes.HasPrefix(first, []byte("HTTP/1."))
	// An HTTP/2 server's first frame is SETTINGS (RFC 9113, Section 3.4):
	// its fourth byte is the frame type, 0x4.
	notH2 := len(first) > 0 && (len(first) < 4 || first[3] != 0x4)
	closed := connected && (strings.Contains(msg, "closed") || strings.Contains(msg, "reset by peer"))
	switch {
	case h1 && bytes.Contains(first, []byte("HTTPS server")):
		return msg + " (the server answered that it speaks TLS: use an https:// URL)"
	case !upgrade && h1:
		return "the server answered in HTTP/1: it does not speak HTTP/2 with prior knowledge (" + msg +
			"); -u asks it to switch to HTTP/2 with an HTTP/1.1 Upgrade"
	case !upgrade && notH2:
		return "the server does not speak HTTP/2 with prior knowledge (" + msg +
			"); -u asks it to switch to HTTP/2 with an HTTP/1.1 Upgrade"
	case !upgrade && len(first) == 0 && closed:
		return msg + " before sending anything: the server may not speak HTTP/2 in cleartext " +
			"(https:// URLs use TLS; -u asks for an HTTP/1.1 Upgrade to h2c)"
	case upgrade && connected && !h1:
		return "the server did not answer the HTTP/1.1 Upgrade request (" + msg +
			"): it does not do the Upgrade to h2c; without -u, get speaks HTTP/2 with prior knowledge"
	}
	return msg
}

// userText is err's text without the names of h2kit's packages, and
// with the end of the connection said in words rather than "EOF".
func userText(err error) string {
	msg := err.Error()
	for _, p := range []string{"h2client: ", "connloop: ", "h2kit: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	for _, r := range []struct{ eof, words string }{
		{"unexpected EOF", "the connection closed in the middle of a message"},
		{"EOF", "the server closed the connection"},
	} {
		if msg == r.eof {
			return r.words
		}
		if s, ok := strings.CutSuffix(msg, ": "+r.eof); ok {
			return s + ": " + r.words
		}
	}
	return msg
}
