package h2kit

import (
	"fmt"

	"github.com/h2kit/h2kit/hpack"
)

// This file holds what the sending side of extended CONNECT (RFC 8441)
// checks. The receiving side is in message.go (checkRequest) and
// settings.go (SETTINGS_ENABLE_CONNECT_PROTOCOL from the peer).
//
// An extended CONNECT stream is an ordinary stream to the engine once
// its request and response are through: a full-duplex byte stream of
// DATA frames under flow control (RFC 8441, Section 5: the stream is
// used "as if it were the TCP connection"), ended by END_STREAM both
// ways or by RST_STREAM.

// PeerSettingsReceived reports whether the peer's first SETTINGS frame
// has arrived (RFC 9113, Section 3.4), so PeerSettings tells what the
// peer advertised rather than the RFC defaults. A client that wants to
// send an extended CONNECT waits for it (RFC 8441, Section 3).
func (c *Conn) PeerSettingsReceived() bool { return c.sawSettings }

// hasProtocol reports whether a request carries the :protocol
// pseudo-header field of RFC 8441.
func hasProtocol(fields []hpack.Field) bool {
	for i := range fields {
		if !fields[i].IsPseudo() {
			return false // pseudo-header fields come first (RFC 9113, Section 8.3)
		}
		if fields[i].Name == ":protocol" {
			return true
		}
	}
	return false
}

// checkExtendedConnect refuses to send an extended CONNECT the peer has
// not allowed or would reject as malformed.
func (c *Conn) checkExtendedConnect(fields []hpack.Field) error {
	// RFC 8441, Section 3: a client uses :protocol only after it
	// received SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; before the peer's
	// SETTINGS arrive it cannot know.
	if !c.sawSettings || !c.peer.enableConnectProtocol {
		return ErrExtendedConnectDisabled
	}
	if c.cfg.DisableMessageRules {
		return nil
	}
	m := messageInfo{contentLength: -1}
	if reason := checkRequest(fields, &m, true); reason != "" {
		// RFC 8441, Section 4: CONNECT with :protocol, :scheme, :path
		// and :authority; the peer would reset anything else.
		return fmt.Errorf("%w: %s (RFC 8441, Section 4)", ErrMalformedRequest, reason)
	}
	return nil
}
