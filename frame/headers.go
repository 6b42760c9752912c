package frame

// Headers is a HEADERS frame (type 0x1), which opens a stream and carries a
// field block fragment (RFC 9113, Section 6.2):
//
//	HEADERS Frame {
//	  Length (24),
//	  Type (8) = 0x01,
//	  Unused Flags (2),
//	  PRIORITY Flag (1),
//	  Unused Flag (1),
//	  PADDED Flag (1),
//	  END_HEADERS Flag (1),
//	  Unused Flag (1),
//	  END_STREAM Flag (1),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  [Pad Length (8)],
//	  [Exclusive (1)],
//	  [Stream Dependency (31)],
//	  [Weight (8)],
//	  Field Block Fragment (..),
//	  Padding (..2040),
//	}
//
// Without EndHeaders, CONTINUATION frames on the same stream must follow;
// checking that sequence needs connection state and is the caller's job
// (RFC 9113, Section 6.10). Whatever happens to the stream, the field block
// must be decoded to keep the compression state in sync (Section 4.3).
//
// A HEADERS frame whose priority names its own stream as the dependency is
// a stream error of type PROTOCOL_ERROR under RFC 7540, Section 5.3.1. Parse
// does not report it, because the caller must still decode the field block
// before resetting the stream; check HasPriority && Priority.StreamDep ==
// StreamID after decoding if you enforce it.
type Headers struct {
	StreamID    uint32
	EndStream   bool  // END_STREAM (0x1): the sender's last field block on the stream
	EndHeaders  bool  // END_HEADERS (0x4): no CONTINUATION follows
	Padded      bool  // PADDED (0x8): Pad Length and padding are present
	PadLength   uint8 // octets of padding, used only when Padded
	HasPriority bool  // PRIORITY (0x20): Priority is present (deprecated, Section 5.3.2)
	Priority    PriorityParam
	// BlockFragment is the field block fragment, HPACK-encoded (RFC 7541).
	BlockFragment []byte
}

// FrameHeader returns the header Append writes.
func (f *Headers) FrameHeader() Header {
	var fl Flags
	if f.EndStream {
		fl |= FlagEndStream
	}
	if f.EndHeaders {
		fl |= FlagEndHeaders
	}
	if f.Padded {
		fl |= FlagPadded
	}
	if f.HasPriority {
		fl |= FlagPriority
	}
	return Header{Length: uint32(f.Len()), Type: TypeHeaders, Flags: fl, StreamID: f.StreamID}
}

// Len returns the payload length: the field block fragment plus the
// optional priority fields (5 octets) and padding (1+PadLength octets).
func (f *Headers) Len() int {
	n := len(f.BlockFragment)
	if f.Padded {
		n += 1 + int(f.PadLength)
	}
	if f.HasPriority {
		n += priorityParamLen
	}
	return n
}

// Append appends the frame to dst; padding octets are zero (RFC 9113,
// Section 6.2).
func (f *Headers) Append(dst []byte) []byte {
	dst = f.FrameHeader().Append(dst)
	if f.Padded {
		dst = append(dst, f.PadLength)
	}
	if f.HasPriority {
		dst = f.Priority.append(dst)
	}
	dst = append(dst, f.BlockFragment...)
	if f.Padded {
		dst = appendZeros(dst, int(f.PadLength))
	}
	return dst
}

func parseHeaders(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.2: HEADERS frames MUST be associated with a
		// stream; stream 0 is a connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "HEADERS frame on stream 0 (RFC 9113, Section 6.2)")
	}
	f := &p.headers
	*f = Headers{
		StreamID:    h.StreamID,
		EndStream:   h.Flags.Has(FlagEndStream),
		EndHeaders:  h.Flags.Has(FlagEndHeaders),
		HasPriority: h.Flags.Has(FlagPriority),
	}
	fixed := 0
	if f.HasPriority {
		fixed = priorityParamLen
	}
	body := payload
	if h.Flags.Has(FlagPadded) {
		var err *Error
		body, f.PadLength, err = unpad(payload, fixed,
			"HEADERS frame too short for its Pad Length and priority fields (RFC 9113, Sections 4.2 and 6.2)",
			"HEADERS padding leaves no room for the other fields (RFC 9113, Section 6.2)")
		if err != nil {
			return nil, err
		}
		f.Padded = true
	} else if len(body) < fixed {
		// RFC 9113, Section 4.2: too small to contain mandatory frame
		// data; HEADERS carries a field block, so a connection error.
		return nil, connError(ErrCodeFrameSize, "HEADERS frame too short for its priority fields (RFC 9113, Sections 4.2 and 6.2)")
	}
	if f.HasPriority {
		f.Priority = parsePriorityParam(body)
		body = body[priorityParamLen:]
	}
	f.BlockFragment = body
	return f, nil
}
