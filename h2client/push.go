package h2client

import (
	"context"
	"net"
	"net/http"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpcommon"
)

// onPushPromise handles a PUSH_PROMISE the engine accepted (it refuses
// them all when push is disabled) (owner).
func (cc *clientConn) onPushPromise(e *h2kit.PushPromiseReceived) {
	cc.loop.AssertOwner()
	pid := e.PromisedStreamID
	t := cc.t
	if t.PushHandler == nil {
		cc.eng.ResetStream(pid, frame.ErrCodeCancel)
		return
	}
	req, err := cc.pushRequest(e.Fields)
	if err != nil {
		// RFC 9113, Section 8.4: a promise for which the server is not
		// authoritative is a stream error of type PROTOCOL_ERROR.
		cc.eng.ResetStream(pid, frame.ErrCodeProtocol)
		return
	}
	if t.AcceptPush != nil && !t.AcceptPush(req) {
		cc.eng.ResetStream(pid, frame.ErrCodeCancel)
		return
	}
	st := &clientStream{streamState: streamState{
		cc:            cc,
		req:           req,
		pushReq:       req,
		push:          true,
		isHead:        req.Method == http.MethodHead,
		contentLength: -1,
		id:            pid,
		opened:        true,
		sentEnd:       true, // reserved (remote): we never send on it
		continued:     true,
	}}
	st.in.Init(0)
	cc.streams.Set(pid, st)
	st.registered = true
}

// pushRequest builds the promised request, checking that the connection
// can serve its authority (owner).
func (cc *clientConn) pushRequest(fields []hpack.Field) (*http.Request, error) {
	cc.loop.AssertOwner()
	h, err := httpcommon.DecodeRequest(fields)
	if err != nil {
		return nil, err
	}
	if !cc.authoritative(h.Scheme, h.Authority) {
		return nil, errNotAuthoritative
	}
	req := new(http.Request)
	if err := h.HTTPRequest(req); err != nil {
		return nil, err
	}
	req.URL.Scheme, req.URL.Host = h.Scheme, h.Authority
	req.Body = http.NoBody
	return req.WithContext(context.Background()), nil
}

var errNotAuthoritative = &h2kit.StreamError{Code: frame.ErrCodeProtocol, Reason: "pushed authority not served by this connection"}

// authoritative reports whether the connection may carry responses for
// scheme and authority (RFC 9113, Section 10.1): the same scheme, and the
// origin's host or, over TLS, a host the server's certificate covers.
func (cc *clientConn) authoritative(scheme, authority string) bool {
	tlsConn := cc.tls != nil
	if (scheme == "https") != tlsConn {
		return false
	}
	host := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		host = h
	}
	if host == cc.host || authority == cc.host {
		return true
	}
	if tlsConn && len(cc.tls.PeerCertificates) > 0 {
		return cc.tls.PeerCertificates[0].VerifyHostname(host) == nil
	}
	return false
}

// onPushResponse delivers a pushed response to the PushHandler, on a
// goroutine of its own; repeated is ResponseReceived.Repeated (owner).
func (cc *clientConn) onPushResponse(st *clientStream, fields []hpack.Field, end bool, repeated uint64) {
	cc.loop.AssertOwner()
	resp, err := st.newResponse(fields, end, repeated)
	if err != nil {
		st.fail(err, true)
		return
	}
	st.mu.Lock()
	st.resp = resp
	if end {
		st.in.End()
	}
	st.mu.Unlock()
	go cc.t.PushHandler(st.pushReq, resp)
	if end {
		st.recvEnded()
	}
}
