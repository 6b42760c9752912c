package frame

import "strconv"

// Error is a frame-level protocol violation found by [Parser.Parse] or
// [Setting.Valid].
//
// When Stream is true it is a stream error (RFC 9113, Section 5.4.2) on
// StreamID: the caller answers with RST_STREAM carrying Code, and the
// connection goes on; Parse has consumed the whole frame. Otherwise it is a
// connection error (RFC 9113, Section 5.4.1): the caller sends GOAWAY with
// Code and closes the connection.
type Error struct {
	Code     ErrCode
	Stream   bool   // stream error on StreamID; false: connection error
	StreamID uint32 // the stream of a stream error, else 0
	Reason   string // what was wrong, citing the RFC section
}

// Error returns a one-line description such as
// "frame: connection error FRAME_SIZE_ERROR: PING length is not 8 (RFC 9113, Section 6.7)".
func (e *Error) Error() string {
	if e.Stream {
		return "frame: stream error on stream " + strconv.FormatUint(uint64(e.StreamID), 10) +
			" " + e.Code.String() + ": " + e.Reason
	}
	return "frame: connection error " + e.Code.String() + ": " + e.Reason
}

// Is reports whether target is an *Error of the same class (stream or
// connection) and code, so errors.Is(err, &frame.Error{Code: frame.ErrCodeFrameSize})
// matches any connection FRAME_SIZE_ERROR whatever its stream and reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Stream == e.Stream
}

// connError returns a connection error (RFC 9113, Section 5.4.1).
func connError(code ErrCode, reason string) *Error {
	return &Error{Code: code, Reason: reason}
}

// streamError returns a stream error on id (RFC 9113, Section 5.4.2).
func streamError(code ErrCode, id uint32, reason string) *Error {
	return &Error{Code: code, Stream: true, StreamID: id, Reason: reason}
}
