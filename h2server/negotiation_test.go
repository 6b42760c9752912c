package h2server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/internal/testpeer"
)

func protoHandler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s %s %d", r.Proto, r.Method, len(b))
}

func TestHTTP1FallbackTLS(t *testing.T) {
	addr := startTLS(t, http.HandlerFunc(protoHandler), nil)
	cfg := clientTLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	tr := &http.Transport{TLSClientConfig: cfg, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "HTTP/1.1 GET 0" {
		t.Fatalf("got %q", b)
	}
}

func TestHTTP1OnH2CPort(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Post("http://"+addr+"/", "text/plain", strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "HTTP/1.1 POST 3" {
		t.Fatalf("got %q", b)
	}
}

// upgrade writes an h2c Upgrade request by hand and continues with an
// engine-based client on stream 1.
func upgrade(t *testing.T, addr, method, body string) (*rawClient, string, []byte) {
	t.Helper()
	nc := dial(t, addr)
	settings := h2kit.Settings{InitialWindowSize: 1 << 20}
	req := fmt.Sprintf("%s /up?x=1 HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: %s\r\nX-Extra: 1\r\n",
		method, addr, h2kit.EncodeHTTP2Settings(settings))
	if body != "" {
		req += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	req += "\r\n" + body
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	head := readHTTP1Head(t, br)
	if !strings.HasPrefix(head, "HTTP/1.1 101 ") {
		return nil, head, nil
	}
	c := newRawClient(t, nc, h2kit.Config{Settings: settings})
	c.br = br
	id, err := c.eng.UpgradeClient(method == "HEAD")
	if err != nil || id != 1 {
		t.Fatalf("UpgradeClient: %d %v", id, err)
	}
	fields, got := c.response(1)
	if field(fields, ":status") != "200" {
		t.Fatalf("upgraded response %v", fields)
	}
	return c, head, got
}

func TestH2CUpgrade(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s %s x=%s extra=%s body=%q up=%q", r.Proto, r.Method, r.Host, r.URL.Path,
			r.URL.Query().Get("x"), r.Header.Get("X-Extra"), b, r.Header.Get("Upgrade")+r.Header.Get("Http2-Settings"))
	}), nil)
	t.Run("GET", func(t *testing.T) {
		c, _, got := upgrade(t, addr, "GET", "")
		want := fmt.Sprintf(`HTTP/2.0 GET %s /up x=1 extra=1 body="" up=""`, addr)
		if string(got) != want {
			t.Fatalf("got %q\nwant %q", got, want)
		}
		// The connection goes on as HTTP/2: stream 3.
		id, err := c.eng.SendRequest(reqFields("GET", addr, "/second"), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, b := c.response(id); !bytes.Contains(b, []byte("/second")) {
			t.Fatalf("second response %q", b)
		}
	})
	t.Run("POST-body", func(t *testing.T) {
		_, _, got := upgrade(t, addr, "POST", "hello upgrade")
		if !bytes.Contains(got, []byte(`body="hello upgrade"`)) {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("body-too-large", func(t *testing.T) {
		big := strings.Repeat("b", 70<<10)
		c, head, _ := upgrade(t, addr, "POST", big)
		if c != nil || !strings.HasPrefix(head, "HTTP/1.1 200 ") {
			t.Fatalf("a large body must be served over HTTP/1.1: %q", head)
		}
	})
}

func TestH2CUpgradeLargeBodyIntact(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), &Server{MaxUpgradeBodySize: 10})
	nc := dial(t, addr)
	defer nc.Close()
	body := strings.Repeat("z", 100)
	fmt.Fprintf(nc, "POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: %s\r\nContent-Length: %d\r\n\r\n%s",
		h2kit.EncodeHTTP2Settings(h2kit.Settings{}), len(body), body)
	br := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(b) != "HTTP/1.1 POST 100" {
		t.Fatalf("%d %q", res.StatusCode, b)
	}
}

// readFrames parses what the server sends until EOF.
func readFrames(t *testing.T, nc net.Conn) []frame.Header {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	all, _ := io.ReadAll(nc)
	var p frame.Parser
	var hs []frame.Header
	for len(all) > 0 {
		f, n, err := p.Parse(all)
		if err != nil || n == 0 {
			t.Fatalf("parsing server output: %v (%d bytes left: %q)", err, len(all), all[:min(len(all), 40)])
		}
		h := p.LastHeader()
		if g, ok := f.(*frame.GoAway); ok {
			h.Flags = frame.Flags(g.Code) // carry the code for the caller
		}
		hs = append(hs, h)
		all = all[n:]
	}
	return hs
}

func wantGoAway(t *testing.T, hs []frame.Header, code frame.ErrCode) {
	t.Helper()
	if len(hs) == 0 || hs[0].Type != frame.TypeSettings {
		t.Fatalf("first frame %v, want SETTINGS", hs)
	}
	last := hs[len(hs)-1]
	if last.Type != frame.TypeGoAway || frame.ErrCode(last.Flags) != code {
		t.Fatalf("frames %v: want GOAWAY %v last", hs, code)
	}
}

// RFC 9113, Section 3.4 / h2spec http2/3.5/2: a preface that starts right
// and then differs is an HTTP/2 connection error, not an HTTP/1.1 one.
func TestPrefaceMismatch(t *testing.T) {
	addr := startH2C(t, http.HandlerFunc(protoHandler), &Server{Logger: discardLogger()})
	for _, in := range []string{"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", "PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n", "INVALID CONNECTION PREFACE\r\n\r\n"} {
		nc := dial(t, addr)
		nc.Write([]byte(in))
		wantGoAway(t, readFrames(t, nc), frame.ErrCodeProtocol)
		nc.Close()
	}
}

func TestServerSettingsFirst(t *testing.T) {
	addr := startTLS(t, http.HandlerFunc(protoHandler), nil)
	nc, err := tls.Dial("tcp", addr, clientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Send nothing: the server's SETTINGS must come anyway.
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, frame.HeaderLen)
	if _, err := io.ReadFull(nc, b); err != nil {
		t.Fatal(err)
	}
	h := frame.ParseHeader(b)
	if h.Type != frame.TypeSettings || h.Flags.Has(frame.FlagAck) {
		t.Fatalf("first frame %v", h)
	}
}

func TestInadequateSecurity(t *testing.T) {
	serve := func(s *Server) string {
		l := testpeer.Listen(t)
		tl := tls.NewListener(l, &tls.Config{
			Certificates: []tls.Certificate{selfSigned(t)},
			NextProtos:   []string{"h2"},
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		})
		go s.Serve(tl)
		t.Cleanup(func() { s.Close() })
		return l.Addr().String()
	}
	client := func(addr string) *tls.Conn {
		cfg := clientTLSConfig()
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA} // CBC: RFC 9113, Appendix A
		nc, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	t.Run("refused", func(t *testing.T) {
		nc := client(serve(&Server{Logger: discardLogger()}))
		defer nc.Close()
		nc.Write([]byte(frame.ClientPreface))
		nc.Write((&frame.Settings{}).Append(nil))
		wantGoAway(t, readFrames(t, nc), frame.ErrCodeInadequateSecurity)
	})
	t.Run("permitted", func(t *testing.T) {
		nc := client(serve(&Server{PermitProhibitedCipherSuites: true, Handler: http.HandlerFunc(protoHandler)}))
		c := newRawClient(t, nc, h2kit.Config{})
		id, _ := c.eng.SendRequest(reqFields("GET", "x", "/"), true)
		if fs, _ := c.response(id); field(fs, ":status") != "200" {
			t.Fatal(fs)
		}
	})
	if !ProhibitedCipherSuite(tls.TLS_RSA_WITH_AES_128_GCM_SHA256) || ProhibitedCipherSuite(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) {
		t.Error("ProhibitedCipherSuite")
	}
}

func TestServePriorKnowledgeAndTLS(t *testing.T) {
	s := &Server{Handler: http.HandlerFunc(protoHandler)}
	l := testpeer.Listen(t)
	go s.Serve(l)
	lt := testpeer.Listen(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	ConfigureTLS(cfg)
	go s.Serve(tls.NewListener(lt, cfg))
	defer s.Close()
	for _, u := range []struct {
		c   *http.Client
		url string
	}{{xnetH2C(t), "http://" + l.Addr().String()}, {xnetTLS(t), "https://" + lt.Addr().String()}} {
		res, err := u.c.Get(u.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "HTTP/2.0 GET 0" {
			t.Fatalf("%s: %q", u.url, b)
		}
	}
}

func TestH2CHandlerPriorKnowledge(t *testing.T) {
	// H2C used directly as an http.Server's handler: net/http passes the
	// "PRI * HTTP/2.0" request on and H2C takes the connection over.
	l := testpeer.Listen(t)
	hs := &http.Server{Handler: H2C(http.HandlerFunc(protoHandler), nil)}
	go hs.Serve(l)
	defer hs.Close()
	res, err := xnetH2C(t).Get("http://" + l.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "HTTP/2.0 GET 0" {
		t.Fatalf("%q", b)
	}
}
