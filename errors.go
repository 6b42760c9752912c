package h2kit

import (
	"errors"
	"fmt"

	"github.com/h2kit/h2kit/frame"
)

// Initiator says who started an error or a reset.
type Initiator uint8

const (
	// Local: this engine detected a violation by the peer and reported it.
	Local Initiator = iota
	// Remote: the peer sent RST_STREAM or GOAWAY.
	Remote
	// User: the application asked for it (ResetStream, Close, a bad API call).
	User
)

// String returns "local", "remote" or "user".
func (i Initiator) String() string {
	switch i {
	case Local:
		return "local"
	case Remote:
		return "remote"
	case User:
		return "user"
	}
	return "unknown"
}

// ConnError is a connection error (RFC 9113, Section 5.4.1): the connection
// is over once it is reported. Reason is the debug text sent in GOAWAY when
// Initiator is Local.
type ConnError struct {
	Code      frame.ErrCode
	Reason    string
	Initiator Initiator
	cause     error // a sentinel such as ErrHTTP1, for errors.Is
}

// Unwrap returns the sentinel error behind e, if any (ErrHTTP1).
func (e *ConnError) Unwrap() error { return e.cause }

func (e *ConnError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("h2kit: connection error (%s): %s", e.Initiator, e.Code)
	}
	return fmt.Sprintf("h2kit: connection error (%s): %s: %s", e.Initiator, e.Code, e.Reason)
}

// Is reports whether target is a *ConnError with the same code, so
// errors.Is(err, &ConnError{Code: c}) compares codes (Reason and
// Initiator are not compared).
func (e *ConnError) Is(target error) bool {
	t, ok := target.(*ConnError)
	return ok && t.Code == e.Code
}

// StreamError is a stream error (RFC 9113, Section 5.4.2): one stream is
// reset, the connection goes on.
//
// Its text is the one Go's HTTP/2 (net/http and golang.org/x/net/http2)
// gives its own stream errors, because libraries built on net/http
// recognise RST_STREAM codes by that text alone (Go's error type is not
// exported from net/http): connect-go, for one, maps a reset received
// from the peer to an RPC code (CANCEL to canceled or deadline_exceeded,
// REFUSED_STREAM to unavailable, ...) only when the error reads
//
//	stream error: stream ID 3; CANCEL; received from peer
//
// That is the text when Initiator is Remote (Reason, if any, is left out
// so that the text ends as Go's does). Otherwise it is
//
//	stream error: stream ID 3; PROTOCOL_ERROR
//	stream error: stream ID 3; PROTOCOL_ERROR; <Reason>
//
// as Go words an error it detected itself. Programs should not parse it:
// errors.As gives the *StreamError with its fields, and errors.Is compares
// codes.
type StreamError struct {
	StreamID  uint32
	Code      frame.ErrCode
	Reason    string
	Initiator Initiator
}

// Error returns the text of Go's HTTP/2 stream errors (see StreamError).
func (e *StreamError) Error() string {
	switch {
	case e.Initiator == Remote:
		return fmt.Sprintf("stream error: stream ID %d; %s; received from peer", e.StreamID, e.Code)
	case e.Reason == "":
		return fmt.Sprintf("stream error: stream ID %d; %s", e.StreamID, e.Code)
	}
	return fmt.Sprintf("stream error: stream ID %d; %s; %s", e.StreamID, e.Code, e.Reason)
}

// Is reports whether target is a *StreamError with the same code.
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	return ok && t.Code == e.Code
}

// Errors returned by the command methods when the call itself is wrong.
var (
	// ErrConnClosed: the connection is over; nothing more can be sent.
	ErrConnClosed = errors.New("h2kit: connection closed")
	// ErrStreamClosed: the stream is closed or reset, or its sending side is done.
	ErrStreamClosed = errors.New("h2kit: stream closed for sending")
	// ErrUnknownStream: no such stream is open.
	ErrUnknownStream = errors.New("h2kit: unknown stream")
	// ErrStreamsExhausted: stream ids ran out or the peer sent GOAWAY;
	// open a new connection.
	ErrStreamsExhausted = errors.New("h2kit: no more streams on this connection")
	// ErrTooManyStreams: the peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached.
	ErrTooManyStreams = errors.New("h2kit: peer's concurrent stream limit reached")
	// ErrPushDisabled: the peer disabled server push with
	// SETTINGS_ENABLE_PUSH = 0 (RFC 9113, Section 6.5.2). A client calling
	// PushPromise gets ErrWrongRole instead.
	ErrPushDisabled = errors.New("h2kit: push disabled by the peer")
	// ErrWrongRole: the call does not exist for this connection's role.
	ErrWrongRole = errors.New("h2kit: not allowed for this role")
	// ErrExtendedConnectDisabled: SendRequest was given an extended
	// CONNECT (a :protocol pseudo-header field, RFC 8441) but the peer has
	// not sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, or its SETTINGS have
	// not arrived yet (see PeerSettingsReceived). RFC 8441, Section 3.
	ErrExtendedConnectDisabled = errors.New("h2kit: extended CONNECT not enabled by the peer (no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, RFC 8441)")
	// ErrMalformedRequest: SendRequest was given a request the peer would
	// have to reset as malformed; the returned error wraps it with the
	// reason. Checked for extended CONNECT requests (RFC 8441, Section 4).
	ErrMalformedRequest = errors.New("h2kit: malformed request")
	// ErrHTTP1 is the reason reported when a server receives an HTTP/1.x
	// request instead of the HTTP/2 connection preface.
	ErrHTTP1 = errors.New("h2kit: HTTP/1.x request received on an HTTP/2 connection")
)
