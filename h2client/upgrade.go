package h2client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	h2kit "github.com/h2kit/h2kit"
)

// upgrade opens a cleartext connection to addr with req sent as an
// HTTP/1.1 request asking to switch to h2c (RFC 7540, Section 3.2). On
// 101 Switching Protocols the connection continues as HTTP/2, req being
// stream 1, and joins the pool; any other answer is req's HTTP/1.1
// response, and the origin is served over HTTP/1.1 from then on.
func (t *Transport) upgrade(ctx context.Context, req *http.Request, key originKey, addr string) (*http.Response, error) {
	p := t.getPool()
	nc, err := t.dialTCP(ctx, addr)
	if err != nil {
		p.finishUpgrade(key, nil, false)
		closeBody(req)
		return nil, err
	}
	cfg := t.engineConfig(nc)
	eng := h2kit.NewConn(cfg, time.Now())

	r2 := req.Clone(ctx)
	r2.Body = req.Body
	r2.Header.Del("Http2-Settings")
	r2.Header.Set("Connection", "Upgrade, HTTP2-Settings")
	r2.Header.Set("Upgrade", "h2c")
	r2.Header["HTTP2-Settings"] = []string{h2kit.EncodeHTTP2Settings(cfg.Settings)}
	if r2.Header.Get("User-Agent") == "" {
		if _, ok := r2.Header["User-Agent"]; !ok {
			r2.Header.Set("User-Agent", userAgent)
		}
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	resp, br, err := upgradeExchange(nc, r2)
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		p.finishUpgrade(key, nil, false)
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// The server ignored the Upgrade: this is the answer, over
		// HTTP/1.1 (the connection is not reused).
		p.finishUpgrade(key, nil, true)
		resp.Body = &closeConnBody{ReadCloser: resp.Body, c: nc}
		resp.Request = req
		return resp, nil
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "h2c") {
		nc.Close()
		p.finishUpgrade(key, nil, false)
		return nil, errors.New("h2client: 101 Switching Protocols to " + resp.Header.Get("Upgrade") + ", not h2c")
	}
	if _, err := eng.UpgradeClient(req.Method == http.MethodHead); err != nil {
		nc.Close()
		p.finishUpgrade(key, nil, false)
		return nil, err
	}
	// The request went out over HTTP/1.1: stream 1 is half-closed (local).
	cc := t.newConn(key, nc, nil, nil, eng, br)
	r1 := req.WithContext(ctx)
	r1.Body = nil
	st := newStream(cc, r1, nil)
	st.drop() // the dirty stack's reference: stream 1 is open already
	st.req = req
	st.id, st.opened, st.sentEnd = 1, true, true
	st.endOnHeaders = true
	cc.streams.Set(1, st)
	st.registered = true
	cc.used.Store(true)
	cc.reserved = 1 // st's slot; the pool does not know cc yet
	p.finishUpgrade(key, cc, false)
	return st.wait()
}

// upgradeExchange writes the Upgrade request and reads the answer,
// skipping 100 (Continue). The returned reader holds what follows the
// answer (the server's first HTTP/2 frames after a 101).
func upgradeExchange(nc net.Conn, req *http.Request) (*http.Response, *bufio.Reader, error) {
	bw := bufio.NewWriter(nc)
	if err := req.Write(bw); err != nil {
		return nil, nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(nc)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusContinue {
			continue
		}
		return resp, br, nil
	}
}

// closeConnBody closes the connection of a one-off HTTP/1.1 exchange
// with the body.
type closeConnBody struct {
	io.ReadCloser
	c net.Conn
}

func (b *closeConnBody) Close() error {
	err := b.ReadCloser.Close()
	b.c.Close()
	return err
}
