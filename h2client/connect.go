package h2client

import (
	"errors"
	"fmt"
	"net/http"
)

// Extended CONNECT (RFC 8441): see the package documentation for how a
// request asks for it and how the stream behaves.

// ErrExtendedConnectDisabled is wrapped by the error of an extended
// CONNECT request whose server did not enable the protocol: its SETTINGS
// did not carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441, Section
// 3), or it is reached over HTTP/1.1.
var ErrExtendedConnectDisabled = errors.New("h2client: the server does not allow extended CONNECT (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, RFC 8441), so it cannot carry WebSockets over HTTP/2")

// isExtendedConnect reports whether req is an extended CONNECT.
func isExtendedConnect(req *http.Request) bool {
	if req.Method != http.MethodConnect {
		return false
	}
	_, ok := req.Header[":protocol"]
	return ok
}

// extendedConnectOverH1 is the error of an extended CONNECT that would
// have to go over HTTP/1.1 (the server did not negotiate h2, or an http
// URL without AllowHTTP): that has no :protocol.
func extendedConnectOverH1(origin string) error {
	return fmt.Errorf("%w: %s is served over HTTP/1.1 (use AllowHTTP for h2c, or a server that negotiates h2)", ErrExtendedConnectDisabled, origin)
}

// holdExtendedConnect handles an extended CONNECT the engine would not
// send (owner). RFC 8441, Section 3: :protocol only once the server's
// SETTINGS allowed it. Before they arrive the stream waits in
// cc.pendingOpen (tried again after each event; a server silent past
// SettingsTimeout has the connection closed, and failAll fails it with
// that error); once they arrived without the setting, it fails.
func (cc *clientConn) holdExtendedConnect(st *clientStream) {
	cc.loop.AssertOwner()
	if !cc.eng.PeerSettingsReceived() {
		if !st.pending {
			st.pending, st.waitSettings = true, true
			cc.pendingOpen = append(cc.pendingOpen, st)
		}
		return
	}
	st.pending = false
	st.fail(fmt.Errorf("%w: %s", ErrExtendedConnectDisabled, cc.key), false)
	st.release()
}
