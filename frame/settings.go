package frame

import "strconv"

// settingLen is the length of one setting on the wire: 16-bit identifier,
// 32-bit value (RFC 9113, Section 6.5.1).
const settingLen = 6

// Initial setting values of RFC 9113, Section 6.5.2 (the initial
// SETTINGS_MAX_FRAME_SIZE is DefaultMaxFrameSize). SETTINGS_ENABLE_PUSH
// starts at 1, SETTINGS_MAX_CONCURRENT_STREAMS and
// SETTINGS_MAX_HEADER_LIST_SIZE start unlimited, and the settings of RFC 8441
// and RFC 9218 start at 0.
const (
	DefaultHeaderTableSize   = 4096
	DefaultInitialWindowSize = 65535
)

// SettingID identifies a setting (RFC 9113, Section 6.5.1). Identifiers the
// receiver does not know MUST be ignored (Section 6.5.2), so every value is
// valid on the wire.
type SettingID uint16

// Settings of RFC 9113 Section 6.5.2, RFC 8441 Section 3, RFC 9218
// Section 2.1 and Microsoft's [MS-HTTP2E] extension.
const (
	SettingHeaderTableSize       SettingID = 0x1  // SETTINGS_HEADER_TABLE_SIZE: HPACK table size for decoding, initially 4096
	SettingEnablePush            SettingID = 0x2  // SETTINGS_ENABLE_PUSH: 0 or 1, initially 1
	SettingMaxConcurrentStreams  SettingID = 0x3  // SETTINGS_MAX_CONCURRENT_STREAMS: initially unlimited
	SettingInitialWindowSize     SettingID = 0x4  // SETTINGS_INITIAL_WINDOW_SIZE: at most 2^31-1, initially 65535
	SettingMaxFrameSize          SettingID = 0x5  // SETTINGS_MAX_FRAME_SIZE: 2^14..2^24-1, initially 2^14
	SettingMaxHeaderListSize     SettingID = 0x6  // SETTINGS_MAX_HEADER_LIST_SIZE: advisory, initially unlimited
	SettingEnableConnectProtocol SettingID = 0x8  // SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): 0 or 1
	SettingNoRFC7540Priorities   SettingID = 0x9  // SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218): 0 or 1
	SettingTLSRenegPermitted     SettingID = 0x10 // TLS_RENEG_PERMITTED ([MS-HTTP2E]): renegotiation allowed
)

var settingNames = [...]string{
	SettingHeaderTableSize:       "SETTINGS_HEADER_TABLE_SIZE",
	SettingEnablePush:            "SETTINGS_ENABLE_PUSH",
	SettingMaxConcurrentStreams:  "SETTINGS_MAX_CONCURRENT_STREAMS",
	SettingInitialWindowSize:     "SETTINGS_INITIAL_WINDOW_SIZE",
	SettingMaxFrameSize:          "SETTINGS_MAX_FRAME_SIZE",
	SettingMaxHeaderListSize:     "SETTINGS_MAX_HEADER_LIST_SIZE",
	SettingEnableConnectProtocol: "SETTINGS_ENABLE_CONNECT_PROTOCOL",
	SettingNoRFC7540Priorities:   "SETTINGS_NO_RFC7540_PRIORITIES",
	SettingTLSRenegPermitted:     "TLS_RENEG_PERMITTED",
}

// String returns the setting's registered name ("SETTINGS_HEADER_TABLE_SIZE",
// ..., "TLS_RENEG_PERMITTED"), or "UNKNOWN". It does not allocate.
func (s SettingID) String() string {
	if int(s) < len(settingNames) && settingNames[s] != "" {
		return settingNames[s]
	}
	return "UNKNOWN"
}

// Setting is one identifier/value pair of a SETTINGS frame.
type Setting struct {
	ID  SettingID
	Val uint32
}

// String formats the setting as nghttp does, e.g.
// "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100".
func (s Setting) String() string {
	return string(s.appendSummary(nil))
}

func (s Setting) appendSummary(dst []byte) []byte {
	dst = append(dst, s.ID.String()...)
	dst = append(dst, "(0x"...)
	dst = appendHex2(dst, uint64(s.ID))
	dst = append(dst, "):"...)
	return strconv.AppendUint(dst, uint64(s.Val), 10)
}

// Valid reports whether the value is in range for the setting, returning a
// connection error (*[Error]) if not:
//
//   - SETTINGS_ENABLE_PUSH other than 0 or 1: PROTOCOL_ERROR (RFC 9113,
//     Section 6.5.2); likewise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441,
//     Section 3) and SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218, Section 2.1).
//   - SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1: FLOW_CONTROL_ERROR
//     (RFC 9113, Section 6.5.2).
//   - SETTINGS_MAX_FRAME_SIZE outside 2^14..2^24-1: PROTOCOL_ERROR
//     (RFC 9113, Section 6.5.2).
//
// Other settings, unknown ones included, accept any value. Rules that depend
// on the role or on earlier values (a server must not send ENABLE_PUSH=1,
// ENABLE_CONNECT_PROTOCOL must not go from 1 to 0) are the caller's to check.
func (s Setting) Valid() error {
	switch s.ID {
	case SettingEnablePush:
		if s.Val > 1 {
			// RFC 9113, Section 6.5.2: any value other than 0 or 1 MUST be
			// treated as a connection error of type PROTOCOL_ERROR.
			return connError(ErrCodeProtocol, "SETTINGS_ENABLE_PUSH is not 0 or 1 (RFC 9113, Section 6.5.2)")
		}
	case SettingInitialWindowSize:
		if s.Val > MaxWindowSize {
			// RFC 9113, Section 6.5.2: values above 2^31-1 MUST be treated
			// as a connection error of type FLOW_CONTROL_ERROR.
			return connError(ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE exceeds 2^31-1 (RFC 9113, Section 6.5.2)")
		}
	case SettingMaxFrameSize:
		if s.Val < DefaultMaxFrameSize || s.Val > MaxMaxFrameSize {
			// RFC 9113, Section 6.5.2: values outside 2^14..2^24-1 MUST be
			// treated as a connection error of type PROTOCOL_ERROR.
			return connError(ErrCodeProtocol, "SETTINGS_MAX_FRAME_SIZE outside 16384..16777215 (RFC 9113, Section 6.5.2)")
		}
	case SettingEnableConnectProtocol:
		if s.Val > 1 {
			// RFC 8441, Section 3: the value MUST be 0 or 1. RFC 8441 names
			// no error code; PROTOCOL_ERROR is the generic one (RFC 9113,
			// Section 5.4) and a SETTINGS problem is a connection error.
			return connError(ErrCodeProtocol, "SETTINGS_ENABLE_CONNECT_PROTOCOL is not 0 or 1 (RFC 8441, Section 3)")
		}
	case SettingNoRFC7540Priorities:
		if s.Val > 1 {
			// RFC 9218, Section 2.1: any value other than 0 or 1 MUST be
			// treated as a connection error of type PROTOCOL_ERROR.
			return connError(ErrCodeProtocol, "SETTINGS_NO_RFC7540_PRIORITIES is not 0 or 1 (RFC 9218, Section 2.1)")
		}
	}
	return nil
}

// Settings is a SETTINGS frame (type 0x4), which conveys configuration
// parameters or acknowledges the peer's (RFC 9113, Section 6.5):
//
//	SETTINGS Frame {
//	  Length (24),
//	  Type (8) = 0x04,
//	  Unused Flags (7),
//	  ACK Flag (1),
//	  Reserved (1),
//	  Stream Identifier (31) = 0,
//	  Setting (48) ...,
//	}
//
//	Setting {
//	  Identifier (16),
//	  Value (32),
//	}
//
// Settings keeps every pair in wire order, duplicates and unknown
// identifiers included: the last value of a setting wins and unknown ones
// are to be ignored (Section 6.5.3). Parse has already checked the values
// of the known settings with [Setting.Valid].
type Settings struct {
	Ack      bool // ACK (0x1): acknowledges the peer's SETTINGS; no settings then
	Settings []Setting
}

// FrameHeader returns the header Append writes.
func (f *Settings) FrameHeader() Header {
	var fl Flags
	if f.Ack {
		fl = FlagAck
	}
	return Header{Length: uint32(f.Len()), Type: TypeSettings, Flags: fl}
}

// Len returns 6 times the number of settings.
func (f *Settings) Len() int { return settingLen * len(f.Settings) }

// Append appends the frame to dst, on stream 0.
func (f *Settings) Append(dst []byte) []byte {
	dst = f.FrameHeader().Append(dst)
	for _, s := range f.Settings {
		dst = append(dst, byte(s.ID>>8), byte(s.ID))
		dst = appendBE32(dst, s.Val)
	}
	return dst
}

// Value returns the last value of setting id in the frame, as the receiver
// applies them in order (RFC 9113, Section 6.5.3), and whether it is present.
func (f *Settings) Value(id SettingID) (uint32, bool) {
	for i := len(f.Settings) - 1; i >= 0; i-- {
		if f.Settings[i].ID == id {
			return f.Settings[i].Val, true
		}
	}
	return 0, false
}

func parseSettings(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID != 0 {
		// RFC 9113, Section 6.5: a SETTINGS frame on a stream other than 0
		// is a connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "SETTINGS frame on a stream other than 0 (RFC 9113, Section 6.5)")
	}
	ack := h.Flags.Has(FlagAck)
	if ack && len(payload) != 0 {
		// RFC 9113, Section 6.5: SETTINGS with ACK and a non-zero length is
		// a connection error of type FRAME_SIZE_ERROR.
		return nil, connError(ErrCodeFrameSize, "SETTINGS with ACK is not empty (RFC 9113, Section 6.5)")
	}
	if len(payload)%settingLen != 0 {
		// RFC 9113, Section 6.5: a length that is not a multiple of 6 is
		// a connection error of type FRAME_SIZE_ERROR.
		return nil, connError(ErrCodeFrameSize, "SETTINGS length is not a multiple of 6 (RFC 9113, Section 6.5)")
	}
	f := &p.settings
	// Reuse the slice: steady-state parsing allocates nothing. It grows to
	// the largest frame seen, at most MaxFrameSize/6 settings.
	list := f.Settings[:0]
	for b := payload; len(b) >= settingLen; b = b[settingLen:] {
		s := Setting{ID: SettingID(b[0])<<8 | SettingID(b[1]), Val: be32(b[2:])}
		if err := s.Valid(); err != nil {
			// RFC 9113, Section 6.5.2 (and RFC 8441, RFC 9218): out-of-range
			// values are connection errors.
			f.Settings = list
			return nil, err.(*Error)
		}
		list = append(list, s)
	}
	f.Ack, f.Settings = ack, list
	return f, nil
}
