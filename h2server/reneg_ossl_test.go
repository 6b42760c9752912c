//go:build h2kit_openssl && cgo

package h2server

// MS-HTTP2E end to end on the OpenSSL backend (tlsossl): h2server
// renegotiates TLS 1.2 for a client certificate. Run with
//
//	go test -tags h2kit_openssl -run Reneg ./h2server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/internal/testpeer"
	"github.com/h2kit/h2kit/internal/testpki"
	"github.com/h2kit/h2kit/tlsossl"
)

// osslServer is h2server on the OpenSSL backend (ServeTLSConns, HTTP/2
// and HTTP/1.1), with a frame recorder per connection and a log.
type osslServer struct {
	addr string
	recs *recorders
	log  *testLogger
	errs chan error // RequestClientCert's results (protectedHandler)
}

// startOSSL serves mux plus /protected_resource (protectedHandler) on
// the OpenSSL backend; maxVersion 0 allows TLS 1.3.
func startOSSL(t *testing.T, pki *testpki.PKI, maxVersion uint16, mux *http.ServeMux) *osslServer {
	t.Helper()
	return startOSSLConfig(t, pki, mux, func(cfg *tlsossl.Config) { cfg.MaxVersion = maxVersion })
}

// startOSSLConfig is startOSSL with the backend's Config changed by mod.
func startOSSLConfig(t *testing.T, pki *testpki.PKI, mux *http.ServeMux, mod func(*tlsossl.Config)) *osslServer {
	t.Helper()
	o := &osslServer{recs: newRecorders(), log: new(testLogger), errs: make(chan error, 16)}
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.Handle("/protected_resource", protectedHandler(o.errs))
	s := &Server{NewTracer: o.recs.tracer, Logger: o.log.logger()}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	l := testpeer.Listen(t)
	o.addr = l.Addr().String()
	cfg := &tlsossl.Config{
		Certificates: []tls.Certificate{pki.Server.TLS},
		ClientCAs:    pki.CA.Pool(),
		NextProtos:   []string{"h2", "http/1.1"},
	}
	mod(cfg)
	ol := tlsossl.NewListener(l, cfg)
	go s.ServeTLSConns(ol, hs)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return o
}

// renegClient is h2client with AllowRenegotiation on TLS 1.2, presenting
// cert when asked (nil: none, but it still advertises 0x02).
func renegClient(t *testing.T, pki *testpki.PKI, cert *tls.Certificate, rec *frameRec) *h2client.Transport {
	cfg := &tls.Config{RootCAs: pki.CA.Pool(), MaxVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	} else {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return new(tls.Certificate), nil
		}
	}
	tr := &h2client.Transport{TLSClientConfig: cfg, AllowRenegotiation: true}
	if rec != nil {
		tr.NewTracer = func(net.Conn) h2kit.Tracer { return rec }
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func get(t *testing.T, rt http.RoundTripper, url string, header ...string) (*http.Response, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body), err
}

// seedRow is one frame of the seed's table (MS-HTTP2E section 4): its
// type, flags and stream.
type seedRow struct {
	typ    frame.Type
	flags  frame.Flags
	stream uint32
}

// The seed's exchange, one direction at a time (the connection preface
// is not a frame): each side's frames are in this order on the wire,
// while the two directions interleave as timing has it. WINDOW_UPDATE
// frames, which the seed leaves out and both implementations send, are
// not compared; the server's final GOAWAY is optional in the seed.
var (
	seedFromClient = []seedRow{
		{frame.TypeSettings, 0, 0}, // TLS_RENEG_PERMITTED 0x02
		{frame.TypeHeaders, frame.FlagEndStream | frame.FlagEndHeaders, 1}, // GET /protected_resource
		{frame.TypeSettings, frame.FlagAck, 0},                             // ACK of the server's
		{frame.TypeGoAway, 0, 0},                                           // NO_ERROR, last stream 0
	}
	seedFromServer = []seedRow{
		{frame.TypeSettings, 0, 0},                   // TLS_RENEG_PERMITTED 0x02
		{frame.TypeSettings, frame.FlagAck, 0},       // ACK of the client's
		{frame.TypeHeaders, frame.FlagEndHeaders, 1}, // :status 200, after the renegotiation
		{frame.TypeData, frame.FlagEndStream, 1},     // the resource
		{frame.TypeGoAway, 0, 0},                     // optional: NO_ERROR, last stream 1
	}
)

// compareSeed checks one direction of a trace against the seed's rows;
// the last row may be missing when optional.
func compareSeed(t *testing.T, who string, got []recFrame, rows []seedRow, lastOptional bool, dump string) {
	t.Helper()
	if len(got) != len(rows) && !(lastOptional && len(got) == len(rows)-1) {
		t.Fatalf("%d frames from the %s (without WINDOW_UPDATE), the seed has %d:%s", len(got), who, len(rows), dump)
	}
	for i, f := range got {
		row := rows[i]
		if f.typ != row.typ || f.flags&^frame.FlagPadded != row.flags || f.stream != row.stream {
			t.Fatalf("frame %d from the %s: %v, the seed has %v flags=%#x stream=%d:%s", i, who, f, row.typ, uint8(row.flags), row.stream, dump)
		}
	}
}

// TestRenegotiationSeedExchange is MS-HTTP2E's protocol example (section
// 4) end to end: h2client with a client certificate and
// AllowRenegotiation against h2server on the OpenSSL backend. Both
// SETTINGS carry TLS_RENEG_PERMITTED = 0x02, the handler gets the
// verified certificate after the renegotiation, the response comes on
// stream 1, and the frames follow the seed's table.
func TestRenegotiationSeedExchange(t *testing.T) {
	pki := testpki.NewPKI("seed")
	srv := startOSSL(t, pki, 0, nil)
	crec := new(frameRec)
	tr := renegClient(t, pki, &pki.Client.TLS, crec)
	resp, body, err := get(t, tr, "https://"+srv.addr+"/protected_resource", "Accept", "image/jpeg")
	if err != nil {
		t.Fatalf("%v; server log: %s", err, srv.log)
	}
	if resp.StatusCode != 200 || !strings.Contains(body, "CN=seed client") || strings.Contains(body, "already verified") {
		t.Fatalf("%s: %q", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" || resp.ContentLength != int64(len(body)) {
		t.Errorf("content-type %q, content-length %d", ct, resp.ContentLength)
	}
	if err := <-srv.errs; err != nil {
		t.Fatalf("RequestClientCert: %v", err)
	}
	tr.CloseIdleConnections() // the client's GOAWAY
	rec := <-srv.recs.ch
	var fromClient, fromServer []recFrame
	deadline := time.Now().Add(5 * time.Second)
	for {
		fromClient, fromServer = fromClient[:0], fromServer[:0]
		for _, f := range rec.snapshot() {
			switch {
			case f.typ == frame.TypeWindowUpdate:
			case f.sent:
				fromServer = append(fromServer, f)
			default:
				fromClient = append(fromClient, f)
			}
		}
		if len(fromClient) >= len(seedFromClient) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var dump strings.Builder
	for _, f := range rec.snapshot() {
		dump.WriteString("\n  " + f.String())
	}
	t.Logf("the exchange as the server saw it:%s", dump.String())
	// The client acknowledges the server's SETTINGS whenever they arrive:
	// after its request (as in the seed) or before it.
	if len(fromClient) >= 3 && fromClient[1].typ == frame.TypeSettings && fromClient[2].typ == frame.TypeHeaders {
		fromClient[1], fromClient[2] = fromClient[2], fromClient[1]
	}
	compareSeed(t, "client", fromClient, seedFromClient, false, dump.String())
	compareSeed(t, "server", fromServer, seedFromServer, true, dump.String())
	for _, f := range []recFrame{fromClient[0], fromServer[0]} {
		if v, ok := renegSettingOf(f.settings); !ok || v != 0x2 {
			t.Errorf("%v: TLS_RENEG_PERMITTED = %#x, present %v; want 0x2", f, v, ok)
		}
	}
	req := fromClient[1].fields
	for name, want := range map[string]string{":method": "GET", ":scheme": "https", ":path": "/protected_resource", "accept": "image/jpeg"} {
		if v := field(req, name); v != want {
			t.Errorf("request %s = %q, want %q", name, v, want)
		}
	}
	if h := fromServer[2].fields; field(h, ":status") != "200" || field(h, "content-type") != "application/octet-stream" ||
		field(h, "content-length") != fmt.Sprint(len(body)) {
		t.Errorf("response fields %v", h)
	}
	if g := fromClient[3]; g.code != frame.ErrCodeNo || g.last != 0 {
		t.Errorf("client GOAWAY %v, want NO_ERROR, last stream 0", g)
	}
	if len(fromServer) == len(seedFromServer) {
		if g := fromServer[4]; g.code != frame.ErrCodeNo || g.last != 1 {
			t.Errorf("server GOAWAY %v, want NO_ERROR, last stream 1", g)
		}
	}
	// The client's side of the same exchange: it saw 0x02 from the server.
	if s, _ := crec.firstSettings(false); func() bool { v, _ := renegSettingOf(s); return v != 0x2 }() {
		t.Errorf("client received server SETTINGS %v", s)
	}
}

// TestRenegotiationOtherStreams: streams in flight while the server
// renegotiates for another one complete: a response whose handler
// writes during the handshake (its frames wait, then go out), and
// requests that arrive during the handshake (reads go on). A second
// request for the protected resource on the same connection gets the
// certificate without a second renegotiation.
func TestRenegotiationOtherStreams(t *testing.T) {
	pki := testpki.NewPKI("streams")
	mux := http.NewServeMux()
	release := make(chan struct{})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, strings.Repeat("h", 100<<10))
	})
	mux.HandleFunc("/small/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	})
	srv := startOSSL(t, pki, 0, mux)
	tr := renegClient(t, pki, &pki.Client.TLS, nil)
	base := "https://" + srv.addr
	// The connection first, and one request in flight on it.
	if resp, _, err := get(t, tr, base+"/small/first"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	var wg sync.WaitGroup
	fail := make(chan string, 32)
	wg.Go(func() {
		resp, body, err := get(t, tr, base+"/hold")
		if err != nil || resp.StatusCode != 200 || len(body) != 100<<10 {
			fail <- fmt.Sprintf("/hold: %v", err)
		}
	})
	time.Sleep(20 * time.Millisecond)
	wg.Go(func() {
		resp, body, err := get(t, tr, base+"/protected_resource")
		if err != nil || resp.StatusCode != 200 || !strings.Contains(body, "CN=streams client") {
			fail <- fmt.Sprintf("/protected_resource: %v %q", err, body)
		}
	})
	// Requests while the renegotiation runs, and /hold's response.
	time.Sleep(5 * time.Millisecond)
	close(release)
	for i := range 8 {
		wg.Go(func() {
			path := fmt.Sprintf("/small/%d", i)
			resp, body, err := get(t, tr, base+path)
			if err != nil || resp.StatusCode != 200 || body != path {
				fail <- fmt.Sprintf("%s: %v %q", path, err, body)
			}
		})
	}
	wg.Wait()
	close(fail)
	for f := range fail {
		t.Error(f)
	}
	if t.Failed() {
		t.Fatalf("server log: %s", srv.log)
	}
	resp, body, err := get(t, tr, base+"/protected_resource")
	if err != nil || resp.StatusCode != 200 || !strings.Contains(body, "already verified") {
		t.Fatalf("second request: %v %q", err, body)
	}
	if n := len(srv.recs.ch); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestRenegotiationNoClientCert: a client that advertises 0x02 but has no
// certificate to give completes the renegotiation without one; the
// handler answers 403 and the connection goes on (another request on it
// succeeds, and is not renegotiated again).
func TestRenegotiationNoClientCert(t *testing.T) {
	pki := testpki.NewPKI("nocert")
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := startOSSL(t, pki, 0, mux)
	tr := renegClient(t, pki, nil, nil)
	resp, body, err := get(t, tr, "https://"+srv.addr+"/protected_resource")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("%v %v %q", err, resp, body)
	}
	if err := <-srv.errs; !errors.Is(err, ErrNoClientCertificate) {
		t.Fatalf("RequestClientCert: %v", err)
	}
	if resp, body, err := get(t, tr, "https://"+srv.addr+"/small"); err != nil || body != "ok" {
		t.Fatalf("after the 403: %v %v %q", err, resp, body)
	}
	if resp, _, err := get(t, tr, "https://"+srv.addr+"/protected_resource"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("second try: %v %v", err, resp)
	}
	if err := <-srv.errs; !errors.Is(err, ErrNoClientCertificate) {
		t.Fatalf("second RequestClientCert: %v", err)
	}
	if n := len(srv.recs.ch); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestRenegotiationUntrustedCert: a certificate from another CA fails the
// handshake: the handler gets x509's reason, the log says it, and the
// connection is over (the client's requests fail; none hangs).
func TestRenegotiationUntrustedCert(t *testing.T) {
	pki, other := testpki.NewPKI("trusted"), testpki.NewPKI("other")
	mux := http.NewServeMux()
	started := make(chan struct{})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // the connection ends under it
	})
	srv := startOSSL(t, pki, 0, mux)
	tr := renegClient(t, pki, &other.Client.TLS, nil)
	if _, _, err := get(t, tr, "https://"+srv.addr+"/small"); err != nil {
		t.Fatal(err)
	}
	holdErr := make(chan error, 1)
	go func() {
		_, _, err := get(t, tr, "https://"+srv.addr+"/hold")
		holdErr <- err
	}()
	<-started
	if _, _, err := get(t, tr, "https://"+srv.addr+"/protected_resource"); err == nil {
		t.Fatal("the request succeeded with an untrusted certificate")
	}
	err := <-srv.errs
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) || !strings.Contains(err.Error(), "connection closed") {
		t.Fatalf("RequestClientCert: %v", err)
	}
	if err := <-holdErr; err == nil {
		t.Error("the stream in flight succeeded on a connection that failed")
	}
	if !strings.Contains(srv.log.String(), "TLS renegotiation failed") {
		t.Errorf("log: %s", srv.log)
	}
}

// TestRenegotiationTLS13: on TLS 1.3 the server advertises no
// TLS_RENEG_PERMITTED (0) and does not try to renegotiate: the handler
// gets ErrRenegotiationNotPermitted and the client HTTP_1_1_REQUIRED.
func TestRenegotiationTLS13(t *testing.T) {
	pki := testpki.NewPKI("tls13")
	srv := startOSSL(t, pki, 0, nil)
	tr := renegClient(t, pki, &pki.Client.TLS, nil)
	tr.TLSClientConfig.MaxVersion = 0
	tr.DisableHTTP1 = true // the reset itself, not h2client's retry over HTTP/1.1
	_, _, err := get(t, tr, "https://"+srv.addr+"/protected_resource")
	var se *h2kit.StreamError
	if !errors.As(err, &se) || se.Code != frame.ErrCodeHTTP11Required {
		t.Fatalf("%v, want a stream error HTTP_1_1_REQUIRED", err)
	}
	if err := <-srv.errs; !errors.Is(err, ErrRenegotiationNotPermitted) || !strings.Contains(err.Error(), "TLS 1.3") {
		t.Fatalf("RequestClientCert: %v", err)
	}
	rec := <-srv.recs.ch
	for _, sent := range []bool{true, false} {
		s, _ := rec.firstSettings(sent)
		if v, ok := renegSettingOf(s); ok {
			t.Errorf("SETTINGS (server sent: %v) carry TLS_RENEG_PERMITTED = %#x on TLS 1.3", sent, v)
		}
	}
}

// TestRenegotiationNoClientCAs: a backend that could renegotiate but has
// no CAs to verify a certificate with cannot honour 0x02: the server
// does not advertise it (MS-HTTP2E) and never starts a renegotiation; the
// handler gets ErrRenegotiationNotPermitted, over HTTP/2 and HTTP/1.1,
// and the connection goes on.
func TestRenegotiationNoClientCAs(t *testing.T) {
	pki := testpki.NewPKI("nocas")
	srv := startOSSLConfig(t, pki, nil, func(cfg *tlsossl.Config) { cfg.ClientCAs = nil })
	tr := renegClient(t, pki, &pki.Client.TLS, nil)
	tr.DisableHTTP1 = true // the reset itself, not h2client's retry over HTTP/1.1
	for range 2 {
		_, _, err := get(t, tr, "https://"+srv.addr+"/protected_resource")
		var se *h2kit.StreamError
		if !errors.As(err, &se) || se.Code != frame.ErrCodeHTTP11Required {
			t.Fatalf("%v, want HTTP_1_1_REQUIRED", err)
		}
		if err := <-srv.errs; !errors.Is(err, ErrRenegotiationNotPermitted) {
			t.Fatalf("RequestClientCert: %v", err)
		}
	}
	rec := <-srv.recs.ch
	if s, _ := rec.firstSettings(true); func() bool { _, ok := renegSettingOf(s); return ok }() {
		t.Errorf("the server advertised TLS_RENEG_PERMITTED without client CAs: %v", s)
	}
	if n := len(srv.recs.ch); n != 0 {
		t.Errorf("%d more connections, want the same one", n)
	}
	h1 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CA.Pool(), NextProtos: []string{"http/1.1"},
		Certificates: []tls.Certificate{pki.Client.TLS}, Renegotiation: tls.RenegotiateOnceAsClient}}
	defer h1.CloseIdleConnections()
	resp, _, err := get(t, h1, "https://"+srv.addr+"/protected_resource")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("HTTP/1.1: %v %v", err, resp)
	}
	if err := <-srv.errs; !errors.Is(err, ErrRenegotiationNotPermitted) {
		t.Fatalf("RequestClientCert over HTTP/1.1: %v", err)
	}
}

// TestRenegotiationHTTP11Retry is RFC 9113, Section 9.2.1's way out, with
// Go's clients: a client that does not send TLS_RENEG_PERMITTED (x/net's
// HTTP/2 client) gets HTTP_1_1_REQUIRED; over HTTP/1.1 on the same
// backend the server renegotiates for the request and answers 200, with
// the certificate in r.TLS.
func TestRenegotiationHTTP11Retry(t *testing.T) {
	pki := testpki.NewPKI("retry")
	srv := startOSSL(t, pki, 0, nil)
	cfg := &tls.Config{RootCAs: pki.CA.Pool(), MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.Client.TLS},
		Renegotiation: tls.RenegotiateOnceAsClient}
	// No AllowRenegotiation: no 0x02. DisableHTTP1 shows the reset
	// itself; h2client's own retry over HTTP/1.1 comes at the end.
	h2 := &h2client.Transport{TLSClientConfig: cfg, DisableHTTP1: true}
	defer h2.CloseIdleConnections()
	_, _, err := get(t, h2, "https://"+srv.addr+"/protected_resource")
	var se *h2kit.StreamError
	if !errors.As(err, &se) || se.Code != frame.ErrCodeHTTP11Required {
		t.Fatalf("HTTP/2: %v, want HTTP_1_1_REQUIRED", err)
	}
	if err := <-srv.errs; !errors.Is(err, ErrRenegotiationNotPermitted) || !strings.Contains(err.Error(), "TLS_RENEG_PERMITTED") {
		t.Fatalf("RequestClientCert over HTTP/2: %v", err)
	}
	h1cfg := cfg.Clone()
	h1cfg.NextProtos = []string{"http/1.1"}
	h1 := &http.Transport{TLSClientConfig: h1cfg}
	defer h1.CloseIdleConnections()
	resp, body, err := get(t, h1, "https://"+srv.addr+"/protected_resource")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 1 || resp.StatusCode != 200 || !strings.Contains(body, "CN=retry client") {
		t.Fatalf("HTTP/1.1: %s %s %q; log: %s", resp.Proto, resp.Status, body, srv.log)
	}
	if err := <-srv.errs; err != nil {
		t.Fatalf("RequestClientCert over HTTP/1.1: %v", err)
	}
	// The next request on the connection has the certificate already.
	resp, body, err = get(t, h1, "https://"+srv.addr+"/protected_resource")
	if err != nil || resp.StatusCode != 200 || !strings.Contains(body, "already verified") {
		t.Fatalf("second HTTP/1.1 request: %v %q", err, body)
	}
	if err := <-srv.errs; err != nil {
		t.Fatalf("RequestClientCert, second HTTP/1.1 request: %v", err)
	}

	// h2client does both steps itself: HTTP_1_1_REQUIRED over HTTP/2,
	// then the request again over HTTP/1.1, where the server
	// renegotiates (the client's Renegotiation setting allows it there).
	both := &h2client.Transport{TLSClientConfig: cfg}
	defer both.CloseIdleConnections()
	resp, body, err = get(t, both, "https://"+srv.addr+"/protected_resource")
	if err != nil || resp.ProtoMajor != 1 || resp.StatusCode != 200 || !strings.Contains(body, "CN=retry client") {
		t.Fatalf("h2client with its HTTP/1.1 retry: %v %v %q; log: %s", err, resp, body, srv.log)
	}
	for i := range 2 { // the HTTP/2 attempt's verdict, then HTTP/1.1's
		if err := <-srv.errs; (i == 0) != errors.Is(err, ErrRenegotiationNotPermitted) {
			t.Fatalf("RequestClientCert, attempt %d: %v", i+1, err)
		}
	}
}

// rawTLSClient is a raw HTTP/2 client (rawClient) over Go's TLS 1.2
// client configured by renegotiation, sending TLS_RENEG_PERMITTED = 0x02.
func rawTLSClient(t *testing.T, pki *testpki.PKI, addr string, reneg tls.RenegotiationSupport) (*rawClient, *tls.Conn) {
	tc := tls.Client(dial(t, addr), &tls.Config{RootCAs: pki.CA.Pool(), ServerName: "localhost", NextProtos: []string{"h2"},
		MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.Client.TLS}, Renegotiation: reneg})
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	return newRawClient(t, tc, h2kit.Config{Settings: h2kit.Settings{TLSRenegPermitted: 0x2}}), tc
}

// TestRenegotiationRefusedHelloRequest: a client that advertises 0x02
// but then refuses the HelloRequest (Go's RenegotiateNever: a
// no_renegotiation alert) fails the handshake: the handler gets the
// error, the log says it, the connection is closed.
func TestRenegotiationRefusedHelloRequest(t *testing.T) {
	pki := testpki.NewPKI("refuse")
	srv := startOSSL(t, pki, 0, nil)
	c, _ := rawTLSClient(t, pki, srv.addr, tls.RenegotiateNever)
	if _, err := c.eng.SendRequest(reqFields("GET", srv.addr, "/protected_resource"), true); err != nil {
		t.Fatal(err)
	}
	for ev := c.next(); ev.kind != "eof" && ev.kind != "terminated"; ev = c.next() {
		if ev.kind == "response" {
			t.Fatalf("a response (%v) after a refused renegotiation", ev.fields)
		}
	}
	err := <-srv.errs
	if err == nil || errors.Is(err, ErrRenegotiationNotPermitted) || !strings.Contains(err.Error(), "connection closed") {
		t.Fatalf("RequestClientCert: %v", err)
	}
	t.Logf("RequestClientCert: %v", err)
	if !strings.Contains(srv.log.String(), "TLS renegotiation failed") {
		t.Errorf("log: %s", srv.log)
	}
}

// TestRenegotiationDataDuringHandshake: the client goes on sending frames
// (PINGs, another request, WINDOW_UPDATEs) after the HelloRequest left
// the server and before its ClientHello arrives; the server reads them
// on, buffered through the handshake, and answers everything after it:
// the PING ACKs, the other request, the protected resource.
func TestRenegotiationDataDuringHandshake(t *testing.T) {
	pki := testpki.NewPKI("interleave")
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "small") })
	srv := startOSSL(t, pki, 0, mux)
	c, tc := rawTLSClient(t, pki, srv.addr, tls.RenegotiateOnceAsClient)
	id, err := c.eng.SendRequest(reqFields("GET", srv.addr, "/protected_resource"), true)
	if err != nil {
		t.Fatal(err)
	}
	c.flush()
	// The handler starts the renegotiation; the client, not reading yet,
	// sends more meanwhile.
	time.Sleep(50 * time.Millisecond)
	for range 10 {
		if _, err := c.eng.Ping(); err != nil {
			t.Fatal(err)
		}
	}
	id2, err := c.eng.SendRequest(reqFields("GET", srv.addr, "/small"), true)
	if err != nil {
		t.Fatal(err)
	}
	c.flush()
	body := map[uint32]string{}
	status := map[uint32]string{}
	ended := map[uint32]bool{}
	for !ended[id] || !ended[id2] {
		ev := c.next()
		switch ev.kind {
		case "response":
			status[ev.id] = field(ev.fields, ":status")
		case "data":
			body[ev.id] += string(ev.data)
		case "reset", "eof", "terminated", "goaway":
			t.Fatalf("%s %v on stream %d; log: %s", ev.kind, ev.code, ev.id, srv.log)
		}
		if ev.end {
			ended[ev.id] = true
		}
	}
	if status[id] != "200" || !strings.Contains(body[id], "CN=interleave client") {
		t.Errorf("protected: %s %q", status[id], body[id])
	}
	if status[id2] != "200" || body[id2] != "small" {
		t.Errorf("/small: %s %q", status[id2], body[id2])
	}
	if cs := tc.ConnectionState(); len(cs.PeerCertificates) == 0 {
		t.Error("no server certificate")
	}
	rec := <-srv.recs.ch
	pings := 0
	for _, f := range rec.snapshot() {
		if f.sent && f.typ == frame.TypePing && f.flags&frame.FlagAck != 0 {
			pings++
		}
	}
	if pings != 10 {
		t.Errorf("%d PING ACKs sent, want 10", pings)
	}
}

// TestRenegotiationClientInitiatedRefused: a client that renegotiates on
// its own (openssl s_client's R command) is refused: the server sent
// TLS_RENEG_PERMITTED 0x02 only, without bit 0x01 (client-initiated,
// MS-HTTP2E), and its backend answers no_renegotiation; the connection
// ends without a certificate having been taken.
func TestRenegotiationClientInitiatedRefused(t *testing.T) {
	bin := testpeer.Path(t, "openssl")
	pki := testpki.NewPKI("s_client")
	dir := t.TempDir()
	certFile, keyFile, err := pki.Client.WriteFiles(dir, "client")
	if err != nil {
		t.Fatal(err)
	}
	caFile, _, err := pki.CA.WriteFiles(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	srv := startOSSL(t, pki, 0, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "s_client", "-connect", srv.addr, "-tls1_2", "-alpn", "h2",
		"-cert", certFile, "-key", keyFile, "-CAfile", caFile)
	stdin, _ := cmd.StdinPipe()
	var out testpeer.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rec := <-srv.recs.ch
	// Wait for the server's SETTINGS to be sent, then renegotiate.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := rec.firstSettings(true); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SETTINGS from the server; s_client: %s", out.String())
		}
	}
	time.Sleep(50 * time.Millisecond)
	stdin.Write([]byte("R\n"))
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("s_client did not end: the connection went on after a refused renegotiation\n%s", out.String())
	}
	if err == nil || !strings.Contains(out.String(), "no renegotiation") {
		t.Fatalf("s_client: %v\n%s", err, out.String())
	}
	settings, _ := rec.firstSettings(true)
	if v, ok := renegSettingOf(settings); !ok || v != 0x2 {
		t.Errorf("server's TLS_RENEG_PERMITTED = %#x (present %v), want 0x2 (server-initiated only)", v, ok)
	}
	for _, f := range rec.snapshot() {
		if f.sent && f.typ != frame.TypeSettings && f.typ != frame.TypeWindowUpdate && f.typ != frame.TypeGoAway {
			t.Errorf("the server sent %v", f)
		}
	}
}

// TestTLSBackendServe: Serve (HTTP/2 only) takes the connections of
// another TLS backend as TLS (TLSConn): it completes their handshake,
// requires ALPN h2, and requests see r.TLS; a client that offers only
// http/1.1 is closed.
func TestTLSBackendServe(t *testing.T) {
	pki := testpki.NewPKI("serve")
	l := testpeer.Listen(t)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || !r.TLS.HandshakeComplete || r.TLS.NegotiatedProtocol != "h2" {
			http.Error(w, "no TLS state", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, tls.VersionName(r.TLS.Version))
	}), Logger: discardLogger()}
	go s.Serve(tlsossl.NewListener(l, &tlsossl.Config{Certificates: []tls.Certificate{pki.Server.TLS}, NextProtos: []string{"h2"}}))
	t.Cleanup(func() { s.Close() })
	tr := &h2client.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CA.Pool()}}
	defer tr.CloseIdleConnections()
	resp, body, err := get(t, tr, "https://"+l.Addr().String()+"/")
	if err != nil || resp.StatusCode != 200 || body != "TLS 1.3" {
		t.Fatalf("%v %v %q", err, resp, body)
	}
	h1 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CA.Pool(), NextProtos: []string{"http/1.1"}}}
	defer h1.CloseIdleConnections()
	if _, _, err := get(t, h1, "https://"+l.Addr().String()+"/"); err == nil {
		t.Fatal("an HTTP/1.1-only client was served by Serve")
	}
}

// recordInjector is a TCP proxy between a TLS 1.2 client and the server
// that, once the client has sent application data, follows the client's
// next handshake record (the renegotiation's ClientHello) with a copy of
// its last application data record: an application data record in the
// middle of the handshake, and one that does not authenticate.
type recordInjector struct {
	l        net.Listener
	target   string
	injected chan struct{}
}

func newRecordInjector(t *testing.T, target string) *recordInjector {
	ri := &recordInjector{l: testpeer.Listen(t), target: target, injected: make(chan struct{})}
	go func() {
		c, err := ri.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		go func() { io.Copy(c, s); c.Close() }()
		ri.clientToServer(c, s)
		s.Close()
	}()
	t.Cleanup(func() { ri.l.Close() })
	return ri
}

// clientToServer copies records, parsing their 5-byte headers (RFC 5246,
// Section 6.2.1).
func (ri *recordInjector) clientToServer(c, s net.Conn) {
	var lastApp []byte
	sent := false
	hdr := make([]byte, 5)
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		rec := append(append([]byte(nil), hdr...), body...)
		if _, err := s.Write(rec); err != nil {
			return
		}
		switch {
		case hdr[0] == 23: // application_data
			lastApp = rec
		case hdr[0] == 22 && lastApp != nil && !sent: // handshake, after data: the renegotiation
			s.Write(lastApp)
			sent = true
			close(ri.injected)
		}
	}
}

// TestRenegotiationRecordMidHandshake: an application data record that
// arrives in the middle of the renegotiation handshake (here a replayed
// one, injected after the client's ClientHello) fails the handshake: the
// handler gets the error, the log says it, the connection ends; no hang.
func TestRenegotiationRecordMidHandshake(t *testing.T) {
	pki := testpki.NewPKI("inject")
	srv := startOSSL(t, pki, 0, nil)
	ri := newRecordInjector(t, srv.addr)
	c, _ := rawTLSClient(t, pki, ri.l.Addr().String(), tls.RenegotiateOnceAsClient)
	if _, err := c.eng.SendRequest(reqFields("GET", srv.addr, "/protected_resource"), true); err != nil {
		t.Fatal(err)
	}
	for ev := c.next(); ev.kind != "eof" && ev.kind != "terminated"; ev = c.next() {
		if ev.kind == "response" {
			t.Fatalf("a response (%v) after a broken renegotiation", ev.fields)
		}
	}
	select {
	case <-ri.injected:
	default:
		t.Fatal("no record was injected: the renegotiation did not start")
	}
	err := <-srv.errs
	if err == nil || errors.Is(err, ErrRenegotiationNotPermitted) || !strings.Contains(err.Error(), "connection closed") {
		t.Fatalf("RequestClientCert: %v", err)
	}
	t.Logf("RequestClientCert: %v", err)
	if !strings.Contains(srv.log.String(), "TLS renegotiation failed") {
		t.Errorf("log: %s", srv.log)
	}
}

// TestRenegotiationClientSilent: a client that advertised 0x02 and then
// stops reading holds the connection only until the renegotiation's time
// limit, whether it never acknowledged the server's SETTINGS or it did
// and then ignores the HelloRequest: the handler gets the error, the log
// says it, and the connection is closed.
func TestRenegotiationClientSilent(t *testing.T) {
	defer func(d time.Duration) { renegTimeout = d }(renegTimeout)
	renegTimeout = 300 * time.Millisecond
	for _, ackFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "no SETTINGS ACK", true: "HelloRequest ignored"}[ackFirst], func(t *testing.T) {
			pki := testpki.NewPKI("silent")
			srv := startOSSL(t, pki, 0, nil)
			c, tc := rawTLSClient(t, pki, srv.addr, tls.RenegotiateOnceAsClient)
			if ackFirst {
				c.pumpFor(100 * time.Millisecond) // reads the server's SETTINGS, ACKs them
			}
			if _, err := c.eng.SendRequest(reqFields("GET", srv.addr, "/protected_resource"), true); err != nil {
				t.Fatal(err)
			}
			c.flush() // and reads nothing more
			var err error
			select {
			case err = <-srv.errs:
			case <-time.After(10 * time.Second):
				t.Fatal("RequestClientCert still waits for a silent client")
			}
			if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection closed") {
				t.Fatalf("RequestClientCert: %v", err)
			}
			if ackFirst == strings.Contains(err.Error(), "no SETTINGS ACK") {
				t.Errorf("RequestClientCert: %v", err)
			}
			if !strings.Contains(srv.log.String(), "TLS renegotiation failed") {
				t.Errorf("log: %s", srv.log)
			}
			// The connection is over: the client reads to its end.
			tc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadAll(tc); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the connection is still open: %v", err)
			}
		})
	}
}
