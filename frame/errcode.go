package frame

import "strconv"

// ErrCode is a 32-bit error code carried by RST_STREAM and GOAWAY frames and
// by [Error] (RFC 9113, Section 7). Codes share one space for streams and
// connections.
type ErrCode uint32

// Error codes of RFC 9113, Section 7.
const (
	ErrCodeNo                 ErrCode = 0x0 // NO_ERROR: graceful shutdown, not an error
	ErrCodeProtocol           ErrCode = 0x1 // PROTOCOL_ERROR: unspecific protocol error
	ErrCodeInternal           ErrCode = 0x2 // INTERNAL_ERROR: unexpected internal error
	ErrCodeFlowControl        ErrCode = 0x3 // FLOW_CONTROL_ERROR: peer violated flow control
	ErrCodeSettingsTimeout    ErrCode = 0x4 // SETTINGS_TIMEOUT: SETTINGS not acknowledged in time
	ErrCodeStreamClosed       ErrCode = 0x5 // STREAM_CLOSED: frame received after half-close
	ErrCodeFrameSize          ErrCode = 0x6 // FRAME_SIZE_ERROR: frame with an invalid size
	ErrCodeRefusedStream      ErrCode = 0x7 // REFUSED_STREAM: stream refused before any processing
	ErrCodeCancel             ErrCode = 0x8 // CANCEL: stream no longer needed
	ErrCodeCompression        ErrCode = 0x9 // COMPRESSION_ERROR: field compression context lost
	ErrCodeConnect            ErrCode = 0xa // CONNECT_ERROR: CONNECT tunnel reset or closed
	ErrCodeEnhanceYourCalm    ErrCode = 0xb // ENHANCE_YOUR_CALM: peer generating excessive load
	ErrCodeInadequateSecurity ErrCode = 0xc // INADEQUATE_SECURITY: transport too weak
	ErrCodeHTTP11Required     ErrCode = 0xd // HTTP_1_1_REQUIRED: use HTTP/1.1 instead
)

var errCodeNames = [...]string{
	ErrCodeNo:                 "NO_ERROR",
	ErrCodeProtocol:           "PROTOCOL_ERROR",
	ErrCodeInternal:           "INTERNAL_ERROR",
	ErrCodeFlowControl:        "FLOW_CONTROL_ERROR",
	ErrCodeSettingsTimeout:    "SETTINGS_TIMEOUT",
	ErrCodeStreamClosed:       "STREAM_CLOSED",
	ErrCodeFrameSize:          "FRAME_SIZE_ERROR",
	ErrCodeRefusedStream:      "REFUSED_STREAM",
	ErrCodeCancel:             "CANCEL",
	ErrCodeCompression:        "COMPRESSION_ERROR",
	ErrCodeConnect:            "CONNECT_ERROR",
	ErrCodeEnhanceYourCalm:    "ENHANCE_YOUR_CALM",
	ErrCodeInadequateSecurity: "INADEQUATE_SECURITY",
	ErrCodeHTTP11Required:     "HTTP_1_1_REQUIRED",
}

// String returns the code's name as RFC 9113, Section 7 spells it
// ("NO_ERROR", "PROTOCOL_ERROR", ...). Unknown codes, which MUST NOT trigger
// special behavior, format as "UNKNOWN_ERROR(0x2a)". Known codes do not
// allocate.
func (c ErrCode) String() string {
	if c < ErrCode(len(errCodeNames)) {
		return errCodeNames[c]
	}
	return "UNKNOWN_ERROR(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}
