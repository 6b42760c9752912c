package frame

// goAwayMinLen is the length of Last-Stream-ID plus Error Code.
const goAwayMinLen = 8

// GoAway is a GOAWAY frame (type 0x7), which starts the shutdown of a
// connection or signals a connection error (RFC 9113, Section 6.8):
//
//	GOAWAY Frame {
//	  Length (24),
//	  Type (8) = 0x07,
//	  Unused Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31) = 0,
//	  Reserved (1),
//	  Last-Stream-ID (31),
//	  Error Code (32),
//	  Additional Debug Data (..),
//	}
type GoAway struct {
	// LastStreamID is the highest stream the sender might have acted on
	// (31 bits).
	LastStreamID uint32
	Code         ErrCode
	// DebugData is opaque diagnostic data; it may be sensitive
	// (RFC 9113, Section 6.8).
	DebugData []byte
}

// FrameHeader returns the header Append writes, on stream 0. GOAWAY defines
// no flags.
func (f *GoAway) FrameHeader() Header {
	return Header{Length: uint32(f.Len()), Type: TypeGoAway}
}

// Len returns 8 plus the length of the debug data.
func (f *GoAway) Len() int { return goAwayMinLen + len(f.DebugData) }

// Append appends the frame to dst; the reserved bit is zero.
func (f *GoAway) Append(dst []byte) []byte {
	dst = f.FrameHeader().Append(dst)
	dst = appendBE32(dst, f.LastStreamID&streamIDMask)
	dst = appendBE32(dst, uint32(f.Code))
	return append(dst, f.DebugData...)
}

func parseGoAway(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID != 0 {
		// RFC 9113, Section 6.8: a GOAWAY frame on a stream other than 0 is
		// a connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "GOAWAY frame on a stream other than 0 (RFC 9113, Section 6.8)")
	}
	if len(payload) < goAwayMinLen {
		// RFC 9113, Section 4.2: a frame too small to contain mandatory
		// frame data is a FRAME_SIZE_ERROR; on stream 0, a connection
		// error.
		return nil, connError(ErrCodeFrameSize, "GOAWAY frame shorter than 8 octets (RFC 9113, Sections 4.2 and 6.8)")
	}
	f := &p.goAway
	*f = GoAway{
		LastStreamID: be32(payload) & streamIDMask,
		Code:         ErrCode(be32(payload[4:])),
		DebugData:    payload[goAwayMinLen:],
	}
	return f, nil
}
