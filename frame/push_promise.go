package frame

// promisedIDLen is the length of the Promised Stream ID field.
const promisedIDLen = 4

// PushPromise is a PUSH_PROMISE frame (type 0x5), by which a server reserves
// a stream for a response it will push, and which carries the field block
// of the promised request (RFC 9113, Section 6.6):
//
//	PUSH_PROMISE Frame {
//	  Length (24),
//	  Type (8) = 0x05,
//	  Unused Flags (4),
//	  PADDED Flag (1),
//	  END_HEADERS Flag (1),
//	  Unused Flags (2),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  [Pad Length (8)],
//	  Reserved (1),
//	  Promised Stream ID (31),
//	  Field Block Fragment (..),
//	  Padding (..2040),
//	}
//
// Whether push is enabled, whether the associated stream is open and
// whether the promised stream is idle depend on connection state and are
// the caller's checks.
type PushPromise struct {
	StreamID   uint32 // the associated stream, on which the promise is made
	EndHeaders bool   // END_HEADERS (0x4): no CONTINUATION follows
	Padded     bool   // PADDED (0x8): Pad Length and padding are present
	PadLength  uint8  // octets of padding, used only when Padded
	PromisedID uint32 // the reserved stream (31 bits)
	// BlockFragment is the field block fragment, HPACK-encoded (RFC 7541).
	BlockFragment []byte
}

// FrameHeader returns the header Append writes.
func (f *PushPromise) FrameHeader() Header {
	var fl Flags
	if f.EndHeaders {
		fl |= FlagEndHeaders
	}
	if f.Padded {
		fl |= FlagPadded
	}
	return Header{Length: uint32(f.Len()), Type: TypePushPromise, Flags: fl, StreamID: f.StreamID}
}

// Len returns the payload length: 4 for the promised stream ID, the field
// block fragment and, when Padded, 1+PadLength.
func (f *PushPromise) Len() int {
	n := promisedIDLen + len(f.BlockFragment)
	if f.Padded {
		n += 1 + int(f.PadLength)
	}
	return n
}

// Append appends the frame to dst; the reserved bit and the padding octets
// are zero (RFC 9113, Section 6.6).
func (f *PushPromise) Append(dst []byte) []byte {
	dst = f.FrameHeader().Append(dst)
	if f.Padded {
		dst = append(dst, f.PadLength)
	}
	dst = appendBE32(dst, f.PromisedID&streamIDMask)
	dst = append(dst, f.BlockFragment...)
	if f.Padded {
		dst = appendZeros(dst, int(f.PadLength))
	}
	return dst
}

func parsePushPromise(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.6: PUSH_PROMISE on stream 0 is a connection
		// error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "PUSH_PROMISE frame on stream 0 (RFC 9113, Section 6.6)")
	}
	f := &p.pushPromise
	*f = PushPromise{StreamID: h.StreamID, EndHeaders: h.Flags.Has(FlagEndHeaders)}
	body := payload
	if h.Flags.Has(FlagPadded) {
		var err *Error
		body, f.PadLength, err = unpad(payload, promisedIDLen,
			"PUSH_PROMISE frame too short for its Pad Length and Promised Stream ID (RFC 9113, Sections 4.2 and 6.6)",
			"PUSH_PROMISE padding leaves no room for the other fields (RFC 9113, Section 6.6)")
		if err != nil {
			return nil, err
		}
		f.Padded = true
	} else if len(body) < promisedIDLen {
		// RFC 9113, Section 4.2: too small to contain mandatory frame
		// data; PUSH_PROMISE carries a field block, so a connection error.
		return nil, connError(ErrCodeFrameSize, "PUSH_PROMISE frame too short for its Promised Stream ID (RFC 9113, Sections 4.2 and 6.6)")
	}
	f.PromisedID = be32(body) & streamIDMask
	if f.PromisedID == 0 {
		// RFC 9113, Section 6.6: promising an illegal stream identifier,
		// one not in the "idle" state, is a connection error of type
		// PROTOCOL_ERROR. Stream 0 is never idle.
		return nil, connError(ErrCodeProtocol, "PUSH_PROMISE promises stream 0 (RFC 9113, Section 6.6)")
	}
	f.BlockFragment = body[promisedIDLen:]
	return f, nil
}
