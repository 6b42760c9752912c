package frame

// rstStreamLen is the fixed payload length of RST_STREAM.
const rstStreamLen = 4

// RSTStream is a RST_STREAM frame (type 0x3), which terminates a stream
// immediately (RFC 9113, Section 6.4):
//
//	RST_STREAM Frame {
//	  Length (24) = 0x04,
//	  Type (8) = 0x03,
//	  Unused Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Error Code (32),
//	}
//
// RST_STREAM for an idle stream is a connection error of type
// PROTOCOL_ERROR; detecting that needs stream state and is the caller's job.
type RSTStream struct {
	StreamID uint32
	Code     ErrCode
}

// FrameHeader returns the header Append writes. RST_STREAM defines no flags.
func (f *RSTStream) FrameHeader() Header {
	return Header{Length: rstStreamLen, Type: TypeRSTStream, StreamID: f.StreamID}
}

// Len returns 4, the fixed payload length.
func (f *RSTStream) Len() int { return rstStreamLen }

// Append appends the frame to dst.
func (f *RSTStream) Append(dst []byte) []byte {
	return appendBE32(f.FrameHeader().Append(dst), uint32(f.Code))
}

func parseRSTStream(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.4: RST_STREAM on stream 0 is a connection
		// error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "RST_STREAM frame on stream 0 (RFC 9113, Section 6.4)")
	}
	if len(payload) != rstStreamLen {
		// RFC 9113, Section 6.4: a length other than 4 is a connection
		// error of type FRAME_SIZE_ERROR.
		return nil, connError(ErrCodeFrameSize, "RST_STREAM length is not 4 (RFC 9113, Section 6.4)")
	}
	f := &p.rstStream
	*f = RSTStream{StreamID: h.StreamID, Code: ErrCode(be32(payload))}
	return f, nil
}
