package h2server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/testpeer"
	"golang.org/x/net/http2"
)

// recFrame is one frame a frameRec saw.
type recFrame struct {
	sent     bool // by the server
	typ      frame.Type
	flags    frame.Flags
	stream   uint32
	settings []frame.Setting
	fields   []hpack.Field
	code     frame.ErrCode
	last     uint32 // GOAWAY's last stream id
}

func (f recFrame) String() string {
	dir := "recv"
	if f.sent {
		dir = "send"
	}
	s := fmt.Sprintf("%s %v flags=%#x stream=%d", dir, f.typ, uint8(f.flags), f.stream)
	for _, st := range f.settings {
		s += " " + st.String()
	}
	if f.typ == frame.TypeRSTStream || f.typ == frame.TypeGoAway {
		s += fmt.Sprintf(" %v last=%d", f.code, f.last)
	}
	return s
}

// frameRec records the frames of one server connection in order (a
// Tracer, called on the owner goroutine; read by the test).
type frameRec struct {
	mu     sync.Mutex
	frames []recFrame
}

func (r *frameRec) FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field) {
	r.add(false, h, f, fields)
}

func (r *frameRec) FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field) {
	r.add(true, h, f, fields)
}

func (r *frameRec) add(sent bool, h frame.Header, f frame.Frame, fields []hpack.Field) {
	rf := recFrame{sent: sent, typ: h.Type, flags: h.Flags, stream: h.StreamID, fields: copyFields(fields)}
	switch f := f.(type) {
	case *frame.Settings:
		rf.settings = append([]frame.Setting(nil), f.Settings...)
	case *frame.RSTStream:
		rf.code = f.Code
	case *frame.GoAway:
		rf.code, rf.last = f.Code, f.LastStreamID
	}
	r.mu.Lock()
	r.frames = append(r.frames, rf)
	r.mu.Unlock()
}

func (r *frameRec) snapshot() []recFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recFrame(nil), r.frames...)
}

// firstSettings returns the settings of the first non-ACK SETTINGS frame
// the server sent (sent) or received.
func (r *frameRec) firstSettings(sent bool) ([]frame.Setting, bool) {
	for _, f := range r.snapshot() {
		if f.sent == sent && f.typ == frame.TypeSettings && f.flags&frame.FlagAck == 0 {
			return f.settings, true
		}
	}
	return nil, false
}

// renegSettingOf returns the TLS_RENEG_PERMITTED value among settings and
// whether it was there.
func renegSettingOf(settings []frame.Setting) (uint32, bool) {
	for _, s := range settings {
		if s.ID == frame.SettingTLSRenegPermitted {
			return s.Val, true
		}
	}
	return 0, false
}

// recorders hands a frameRec to each new connection of a Server
// (NewTracer) and lets the test take them in order.
type recorders struct {
	ch chan *frameRec
}

func newRecorders() *recorders { return &recorders{ch: make(chan *frameRec, 16)} }

func (rs *recorders) tracer(net.Conn) h2kit.Tracer {
	r := new(frameRec)
	select {
	case rs.ch <- r:
	default:
	}
	return r
}

// protectedHandler answers /protected_resource as the seed's server does:
// with the client certificate's subject once RequestClientCert returned
// it; HTTP_1_1_REQUIRED over HTTP/2 when renegotiation is not permitted;
// 403 without a certificate. Each RequestClientCert error (nil included)
// goes to errs, if there is room.
func protectedHandler(errs chan<- error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		before := r.TLS != nil && len(r.TLS.VerifiedChains) > 0
		chains, err := RequestClientCert(r.Context(), r)
		select {
		case errs <- err:
		default:
		}
		switch {
		case errors.Is(err, ErrRenegotiationNotPermitted) && r.ProtoMajor == 2:
			if err := RequireHTTP11(w); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		case errors.Is(err, ErrRenegotiationNotPermitted), errors.Is(err, ErrNoClientCertificate):
			if r.ProtoMajor == 1 && RequireHTTP11(w) == nil {
				panic("RequireHTTP11 accepted an HTTP/1.1 response")
			}
			http.Error(w, "client certificate required: "+err.Error(), http.StatusForbidden)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || r.TLS.VerifiedChains[0][0] != chains[0][0]:
			http.Error(w, "r.TLS was not updated", http.StatusInternalServerError)
		default:
			body := "subject: " + chains[0][0].Subject.String()
			if before {
				body += " (already verified)"
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			io.WriteString(w, body)
		}
	}
}

// TestRequestClientCertNotPermittedCryptoTLS: on Go's crypto/tls backend
// the server cannot renegotiate, so it does not advertise
// TLS_RENEG_PERMITTED (MS-HTTP2E: only where it can honour it) even to a
// client that sends 0x02; the handler gets ErrRenegotiationNotPermitted,
// and RequireHTTP11 resets the stream with HTTP_1_1_REQUIRED (RFC 9113,
// Section 9.2.1), which Go's HTTP/2 client reports as such. Over HTTP/1.1
// the same handler answers 403, and RequireHTTP11 refuses an HTTP/1.1
// response.
func TestRequestClientCertNotPermittedCryptoTLS(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			recs := newRecorders()
			errs := make(chan error, 4)
			s := &Server{NewTracer: recs.tracer, Logger: discardLogger()}
			l := testpeer.Listen(t)
			hs := &http.Server{Handler: protectedHandler(errs),
				TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MaxVersion: version}}
			if err := ConfigureServer(hs, s); err != nil {
				t.Fatal(err)
			}
			go hs.ServeTLS(l, "", "")
			t.Cleanup(func() { hs.Close(); s.Close() })
			addr := l.Addr().String()

			// A raw client that sends TLS_RENEG_PERMITTED = 0x02.
			cfg := clientTLSConfig()
			cfg.ServerName = "localhost"
			tc := tls.Client(dial(t, addr), cfg)
			c := newRawClient(t, tc, h2kit.Config{Settings: h2kit.Settings{TLSRenegPermitted: 0x2}})
			id, err := c.eng.SendRequest(append(reqFields("GET", addr, "/protected_resource"), hpack.Field{Name: "accept", Value: "image/jpeg"}), true)
			if err != nil {
				t.Fatal(err)
			}
			ev := c.next()
			for ev.kind != "reset" && ev.kind != "eof" && ev.kind != "response" {
				ev = c.next()
			}
			if ev.kind != "reset" || ev.id != id || ev.code != frame.ErrCodeHTTP11Required {
				t.Fatalf("got %s on stream %d (%v), want RST_STREAM HTTP_1_1_REQUIRED on %d", ev.kind, ev.id, ev.code, id)
			}
			err = <-errs
			if !errors.Is(err, ErrRenegotiationNotPermitted) {
				t.Fatalf("RequestClientCert: %v", err)
			}
			want := "crypto/tls"
			if version == tls.VersionTLS13 {
				want = "TLS 1.3 has no renegotiation"
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("RequestClientCert: %q, want the reason %q", err, want)
			}
			rec := <-recs.ch
			settings, ok := rec.firstSettings(true)
			if !ok {
				t.Fatal("no SETTINGS from the server")
			}
			if v, ok := renegSettingOf(settings); ok {
				t.Errorf("the server advertised TLS_RENEG_PERMITTED = %#x on crypto/tls", v)
			}
			if got, _ := rec.firstSettings(false); len(got) == 0 {
				t.Error("the client's SETTINGS were not seen")
			} else if v, _ := renegSettingOf(got); v != 0x2 {
				t.Errorf("client's TLS_RENEG_PERMITTED = %#x, want 0x2", v)
			}

			// Go's HTTP/2 client sees the reset code.
			_, err = xnetTLS(t).Get("https://" + addr + "/protected_resource")
			var se http2.StreamError
			if !errors.As(err, &se) || se.Code != http2.ErrCodeHTTP11Required {
				t.Errorf("x/net client: %v, want a stream error HTTP_1_1_REQUIRED", err)
			}
			<-errs

			// HTTP/1.1: no renegotiation either, a plain 403.
			h1cfg := clientTLSConfig()
			h1cfg.NextProtos = []string{"http/1.1"}
			h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: h1cfg}}
			defer h1.CloseIdleConnections()
			resp, err := h1.Get("https://" + addr + "/protected_resource")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 1 || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("HTTP/1.1: %s %s: %s", resp.Proto, resp.Status, body)
			}
			if err := <-errs; !errors.Is(err, ErrRenegotiationNotPermitted) {
				t.Errorf("RequestClientCert over HTTP/1.1: %v", err)
			}
		})
	}
}

// TestRequireHTTP11AfterHeader: RequireHTTP11 refuses a response whose
// header section was sent; the response goes on.
func TestRequireHTTP11AfterHeader(t *testing.T) {
	errc := make(chan error, 1)
	addr := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		errc <- RequireHTTP11(w)
		io.WriteString(w, "body")
	}), nil)
	resp, err := xnetTLS(t).Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "body" {
		t.Fatalf("body %q, %v", body, err)
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "after the response header") {
		t.Fatalf("RequireHTTP11 after the header: %v", err)
	}
}
