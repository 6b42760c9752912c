package frame

// Continuation is a CONTINUATION frame (type 0x9), which continues the field
// block of a HEADERS or PUSH_PROMISE frame (RFC 9113, Section 6.10):
//
//	CONTINUATION Frame {
//	  Length (24),
//	  Type (8) = 0x09,
//	  Unused Flags (5),
//	  END_HEADERS Flag (1),
//	  Unused Flags (2),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Field Block Fragment (..),
//	}
//
// That it directly follows a HEADERS, PUSH_PROMISE or CONTINUATION frame
// without END_HEADERS on the same stream is connection state, checked by
// the caller.
type Continuation struct {
	StreamID   uint32
	EndHeaders bool // END_HEADERS (0x4): this frame ends the field block
	// BlockFragment is the field block fragment, HPACK-encoded (RFC 7541).
	BlockFragment []byte
}

// FrameHeader returns the header Append writes.
func (f *Continuation) FrameHeader() Header {
	var fl Flags
	if f.EndHeaders {
		fl = FlagEndHeaders
	}
	return Header{Length: uint32(f.Len()), Type: TypeContinuation, Flags: fl, StreamID: f.StreamID}
}

// Len returns the length of the field block fragment.
func (f *Continuation) Len() int { return len(f.BlockFragment) }

// Append appends the frame to dst.
func (f *Continuation) Append(dst []byte) []byte {
	return append(f.FrameHeader().Append(dst), f.BlockFragment...)
}

func parseContinuation(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.10: CONTINUATION on stream 0 is a connection
		// error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "CONTINUATION frame on stream 0 (RFC 9113, Section 6.10)")
	}
	f := &p.continuation
	*f = Continuation{StreamID: h.StreamID, EndHeaders: h.Flags.Has(FlagEndHeaders), BlockFragment: payload}
	return f, nil
}
