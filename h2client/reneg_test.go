package h2client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
	"github.com/h2kit/h2kit/internal/testpki"
)

// MS-HTTP2E against openssl s_server. s_server is no HTTP/2 server, but
// it writes what arrives on its stdin to the TLS connection as is, and
// prints what the client sends; a line "R" renegotiates asking for a
// client certificate (TLS 1.2 and below). The test plays the HTTP/2
// server through it: it reads the client's SETTINGS from s_server's
// output, writes pre-encoded frames (SETTINGS, HEADERS, DATA) to its
// stdin, and triggers the renegotiation in the middle of the exchange.

// sServer is one running openssl s_server.
type sServer struct {
	t     *testing.T
	stdin io.WriteCloser
	out   testpeer.Output // s_server's standard output and error
	port  int
	done  chan struct{}
}

func startSServer(t *testing.T, tls12 bool) *sServer {
	bin := testpeer.Path(t, "openssl")
	dir := t.TempDir()
	certFile, keyFile := certFiles(t, dir)
	port := testpeer.FreePort(t)
	args := []string{"s_server", "-accept", "127.0.0.1:" + strconv.Itoa(port), "-cert", certFile, "-key", keyFile,
		"-alpn", "h2", "-naccept", "1"}
	if tls12 {
		args = append(args, "-tls1_2")
	}
	cmd := exec.Command(bin, args...)
	s := &sServer{t: t, port: port, done: make(chan struct{})}
	var err error
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stdin.Close()
		cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("s_server output:\n%q", s.out.String())
		}
	})
	s.waitFor("ACCEPT", 5*time.Second)
	return s
}

func (s *sServer) waitFor(sub string, d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(s.out.String(), sub) {
		if time.Now().After(deadline) {
			s.t.Fatalf("s_server: no %q after %v", sub, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *sServer) send(p []byte) {
	if _, err := s.stdin.Write(p); err != nil {
		s.t.Fatal(err)
	}
}

// clientSettings parses the client's first SETTINGS frame from what
// s_server printed.
func (s *sServer) clientSettings() []frame.Setting {
	s.t.Helper()
	out := []byte(s.out.String())
	i := bytes.Index(out, []byte(frame.ClientPreface))
	if i < 0 {
		s.t.Fatal("no client preface in s_server's output")
	}
	var p frame.Parser
	f, _, err := p.Parse(out[i+len(frame.ClientPreface):])
	st, ok := f.(*frame.Settings)
	if err != nil || !ok {
		s.t.Fatalf("client's first frame: %v %T", err, f)
	}
	return st.Settings
}

func renegPermitted(settings []frame.Setting) (uint32, bool) {
	for _, s := range settings {
		if s.ID == frame.SettingTLSRenegPermitted {
			return s.Val, true
		}
	}
	return 0, false
}

// serverFrames encodes SETTINGS (with TLS_RENEG_PERMITTED = reneg when
// non-zero) and the ACK of the client's SETTINGS.
func serverFrames(reneg uint32) []byte {
	var list []frame.Setting
	if reneg != 0 {
		list = append(list, frame.Setting{ID: frame.SettingTLSRenegPermitted, Val: reneg})
	}
	b := (&frame.Settings{Settings: list}).Append(nil)
	return (&frame.Settings{Ack: true}).Append(b)
}

// responseFrames encodes a 200 response on stream 1.
func responseFrames(body string) []byte {
	enc := hpack.NewEncoder()
	block := enc.Encode(nil, []hpack.Field{
		{Name: ":status", Value: "200"},
		{Name: "content-type", Value: "application/octet-stream"},
		{Name: "content-length", Value: strconv.Itoa(len(body))},
	})
	b := (&frame.Headers{StreamID: 1, EndHeaders: true, BlockFragment: block}).Append(nil)
	return (&frame.Data{StreamID: 1, EndStream: true, Data: []byte(body)}).Append(b)
}

// renegTransport returns a Transport with a client certificate.
func renegTransport(t *testing.T, allow bool) *Transport {
	tr := newTransport(t)
	tr.TLSClientConfig.Certificates = []tls.Certificate{testpki.SelfSigned("h2kit client", x509.ExtKeyUsageClientAuth).TLS}
	tr.AllowRenegotiation = allow
	tr.DisableHTTP1 = true
	return tr
}

type result struct {
	resp *http.Response
	body string
	err  error
}

func fetch(tr *Transport, url string) chan result {
	ch := make(chan result, 1)
	go func() {
		resp, err := client(tr).Get(url)
		if err != nil {
			ch <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- result{resp: resp, body: string(b), err: err}
	}()
	return ch
}

// TestRenegotiationPermitted: both sides permit server-initiated
// renegotiation; the server renegotiates asking for the client
// certificate in the middle of the request, then answers on stream 1.
func TestRenegotiationPermitted(t *testing.T) {
	s := startSServer(t, true)
	tr := renegTransport(t, true)
	res := fetch(tr, "https://127.0.0.1:"+strconv.Itoa(s.port)+"/protected_resource")
	s.waitFor(frame.ClientPreface, 5*time.Second)
	if v, ok := renegPermitted(s.clientSettings()); !ok || v != 0x2 {
		t.Fatalf("client advertised TLS_RENEG_PERMITTED %#x (%v), want 0x2", v, ok)
	}
	s.send(serverFrames(0x2))
	time.Sleep(100 * time.Millisecond) // the request HEADERS arrive, then:
	s.send([]byte("R\n"))
	// s_server's verify callback prints the certificate the client
	// presented during the renegotiation.
	s.waitFor("CN = h2kit client", 5*time.Second)
	s.send(responseFrames("protected content"))
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.resp.StatusCode != 200 || r.body != "protected content" {
		t.Fatalf("%s %q", r.resp.Status, r.body)
	}
	t.Logf("renegotiated; client certificate presented; response read on stream 1")
	if os.Getenv("H2KIT_SHOW_SSERVER") != "" {
		t.Logf("s_server output: %q", s.out.String())
	}
}

// TestRenegotiationNotPermittedByServer: the server did not advertise
// the bit, yet renegotiates: PROTOCOL_ERROR, and no certificate is sent.
func TestRenegotiationNotPermittedByServer(t *testing.T) {
	s := startSServer(t, true)
	tr := renegTransport(t, true)
	res := fetch(tr, "https://127.0.0.1:"+strconv.Itoa(s.port)+"/")
	s.waitFor(frame.ClientPreface, 5*time.Second)
	s.send(serverFrames(0))
	time.Sleep(100 * time.Millisecond)
	s.send([]byte("R\n"))
	r := <-res
	if r.err == nil || !errors.Is(r.err, &h2kit.ConnError{Code: frame.ErrCodeProtocol}) {
		t.Fatalf("err %v, want a PROTOCOL_ERROR connection error", r.err)
	}
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(s.out.String(), "CN = h2kit client") {
		t.Fatal("the client certificate was sent")
	}
	t.Logf("refused: %v", r.err)
}

// TestRenegotiationNotAllowedByClient: without AllowRenegotiation the
// client advertises nothing and refuses the renegotiation.
func TestRenegotiationNotAllowedByClient(t *testing.T) {
	s := startSServer(t, true)
	tr := renegTransport(t, false)
	res := fetch(tr, "https://127.0.0.1:"+strconv.Itoa(s.port)+"/")
	s.waitFor(frame.ClientPreface, 5*time.Second)
	if v, ok := renegPermitted(s.clientSettings()); ok && v != 0 {
		t.Fatalf("client advertised TLS_RENEG_PERMITTED %#x", v)
	}
	s.send(serverFrames(0x2))
	time.Sleep(100 * time.Millisecond)
	s.send([]byte("R\n"))
	r := <-res
	if r.err == nil || !errors.Is(r.err, &h2kit.ConnError{Code: frame.ErrCodeProtocol}) {
		t.Fatalf("err %v, want a PROTOCOL_ERROR connection error", r.err)
	}
	t.Logf("refused: %v", r.err)
}

// TestRenegotiationTLS13: over TLS 1.3 the client advertises 0 even with
// AllowRenegotiation and a certificate (TLS 1.3 has no renegotiation;
// s_server refuses "R" there, so nothing more can be tried).
func TestRenegotiationTLS13(t *testing.T) {
	s := startSServer(t, false)
	tr := renegTransport(t, true)
	res := fetch(tr, "https://127.0.0.1:"+strconv.Itoa(s.port)+"/")
	s.waitFor(frame.ClientPreface, 5*time.Second)
	if v, ok := renegPermitted(s.clientSettings()); ok && v != 0 {
		t.Fatalf("client advertised TLS_RENEG_PERMITTED %#x over TLS 1.3", v)
	}
	s.send(serverFrames(0x2))
	s.send(responseFrames("ok"))
	if r := <-res; r.err != nil || r.body != "ok" {
		t.Fatalf("%v %q", r.err, r.body)
	}
}
