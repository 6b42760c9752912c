package frame

// windowUpdateLen is the fixed payload length of WINDOW_UPDATE.
const windowUpdateLen = 4

// WindowUpdate is a WINDOW_UPDATE frame (type 0x8), which grants flow-control
// credit to a stream, or to the whole connection on stream 0 (RFC 9113,
// Section 6.9):
//
//	WINDOW_UPDATE Frame {
//	  Length (24) = 0x04,
//	  Type (8) = 0x08,
//	  Unused Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Reserved (1),
//	  Window Size Increment (31),
//	}
//
// A window growing past 2^31-1 is an error the caller detects with its
// window state (Section 6.9.1).
type WindowUpdate struct {
	StreamID  uint32 // 0: the connection window
	Increment uint32 // 1..2^31-1
}

// FrameHeader returns the header Append writes. WINDOW_UPDATE defines no
// flags.
func (f *WindowUpdate) FrameHeader() Header {
	return Header{Length: windowUpdateLen, Type: TypeWindowUpdate, StreamID: f.StreamID}
}

// Len returns 4, the fixed payload length.
func (f *WindowUpdate) Len() int { return windowUpdateLen }

// Append appends the frame to dst; the reserved bit is zero.
func (f *WindowUpdate) Append(dst []byte) []byte {
	return appendBE32(f.FrameHeader().Append(dst), f.Increment&streamIDMask)
}

func parseWindowUpdate(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if len(payload) != windowUpdateLen {
		// RFC 9113, Section 6.9: a length other than 4 is a connection
		// error of type FRAME_SIZE_ERROR.
		return nil, connError(ErrCodeFrameSize, "WINDOW_UPDATE length is not 4 (RFC 9113, Section 6.9)")
	}
	inc := be32(payload) & streamIDMask
	if inc == 0 {
		// RFC 9113, Section 6.9: an increment of 0 is a stream error of
		// type PROTOCOL_ERROR; on the connection window (stream 0) it is a
		// connection error.
		if h.StreamID == 0 {
			return nil, connError(ErrCodeProtocol, "WINDOW_UPDATE increment of 0 on the connection (RFC 9113, Section 6.9)")
		}
		return nil, streamError(ErrCodeProtocol, h.StreamID, "WINDOW_UPDATE increment of 0 (RFC 9113, Section 6.9)")
	}
	f := &p.windowUpdate
	*f = WindowUpdate{StreamID: h.StreamID, Increment: inc}
	return f, nil
}
