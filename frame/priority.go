package frame

// priorityParamLen is the length of Exclusive, Stream Dependency and Weight.
const priorityParamLen = 5

// PriorityParam is the RFC 7540 priority signal carried by PRIORITY frames
// and by HEADERS frames with the PRIORITY flag. RFC 9113, Section 5.3.2
// deprecates it but keeps the fields for interoperability.
type PriorityParam struct {
	// StreamDep is the stream this one depends on (31 bits; 0 is the root).
	StreamDep uint32
	// Exclusive is the E bit: the dependency is exclusive.
	Exclusive bool
	// Weight is the weight as sent: 0..255 on the wire means 1..256, so the
	// default weight of 16 is Weight 15. AppendSummary prints Weight+1.
	Weight uint8
}

func parsePriorityParam(b []byte) PriorityParam {
	v := be32(b)
	return PriorityParam{StreamDep: v & streamIDMask, Exclusive: v>>31 == 1, Weight: b[4]}
}

func (pp PriorityParam) append(dst []byte) []byte {
	v := pp.StreamDep & streamIDMask
	if pp.Exclusive {
		v |= 1 << 31
	}
	return append(appendBE32(dst, v), pp.Weight)
}

// Priority is a PRIORITY frame (type 0x2), deprecated by RFC 9113,
// Section 5.3.2 but still parsed (RFC 9113, Section 6.3):
//
//	PRIORITY Frame {
//	  Length (24) = 0x05,
//	  Type (8) = 0x02,
//	  Unused Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Exclusive (1),
//	  Stream Dependency (31),
//	  Weight (8),
//	}
//
// It can arrive for a stream in any state, even idle or closed, so it
// never needs to be processed for the stream state to stay in sync.
type Priority struct {
	StreamID uint32
	PriorityParam
}

// FrameHeader returns the header Append writes. PRIORITY defines no flags.
func (f *Priority) FrameHeader() Header {
	return Header{Length: priorityParamLen, Type: TypePriority, StreamID: f.StreamID}
}

// Len returns 5, the fixed payload length.
func (f *Priority) Len() int { return priorityParamLen }

// Append appends the frame to dst.
func (f *Priority) Append(dst []byte) []byte {
	return f.PriorityParam.append(f.FrameHeader().Append(dst))
}

func parsePriority(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.3: a PRIORITY frame on stream 0 is a
		// connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "PRIORITY frame on stream 0 (RFC 9113, Section 6.3)")
	}
	if len(payload) != priorityParamLen {
		// RFC 9113, Section 6.3: a length other than 5 is a stream error
		// of type FRAME_SIZE_ERROR.
		return nil, streamError(ErrCodeFrameSize, h.StreamID, "PRIORITY length is not 5 (RFC 9113, Section 6.3)")
	}
	pp := parsePriorityParam(payload)
	if pp.StreamDep == h.StreamID {
		// RFC 7540, Section 5.3.1 (whose priority fields RFC 9113,
		// Section 5.3.2 keeps for interoperability): a stream cannot
		// depend on itself; a stream error of type PROTOCOL_ERROR. A
		// PRIORITY frame changes no state, so it can be skipped.
		return nil, streamError(ErrCodeProtocol, h.StreamID, "PRIORITY frame makes a stream depend on itself (RFC 7540, Section 5.3.1)")
	}
	f := &p.priority
	*f = Priority{StreamID: h.StreamID, PriorityParam: pp}
	return f, nil
}
