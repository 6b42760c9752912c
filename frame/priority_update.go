package frame

// prioritizedIDLen is the length of the Prioritized Stream ID field.
const prioritizedIDLen = 4

// PriorityUpdate is a PRIORITY_UPDATE frame (type 0x10), by which a client
// signals or changes the priority of a response using the Priority field
// syntax of RFC 9218 (RFC 9218, Section 7.1):
//
//	HTTP/2 PRIORITY_UPDATE Frame {
//	  Length (24),
//	  Type (8) = 0x10,
//	  Unused Flags (8),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  Reserved (1),
//	  Prioritized Stream ID (31),
//	  Priority Field Value (..),
//	}
//
// It is always sent on stream 0. A client receiving one, or a server
// receiving one for an idle push stream, has a connection error the caller
// detects with its state; parsing FieldValue (a Structured Field) is the
// caller's too.
type PriorityUpdate struct {
	PrioritizedID uint32 // the stream whose priority changes (31 bits)
	FieldValue    []byte // Priority Field Value in ASCII, e.g. "u=1, i"
}

// FrameHeader returns the header Append writes, on stream 0.
// PRIORITY_UPDATE defines no flags.
func (f *PriorityUpdate) FrameHeader() Header {
	return Header{Length: uint32(f.Len()), Type: TypePriorityUpdate}
}

// Len returns 4 plus the length of the field value.
func (f *PriorityUpdate) Len() int { return prioritizedIDLen + len(f.FieldValue) }

// Append appends the frame to dst; the reserved bit is zero.
func (f *PriorityUpdate) Append(dst []byte) []byte {
	dst = appendBE32(f.FrameHeader().Append(dst), f.PrioritizedID&streamIDMask)
	return append(dst, f.FieldValue...)
}

func parsePriorityUpdate(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID != 0 {
		// RFC 9218, Section 7.1: a PRIORITY_UPDATE frame on a stream other
		// than 0 is a connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "PRIORITY_UPDATE frame on a stream other than 0 (RFC 9218, Section 7.1)")
	}
	if len(payload) < prioritizedIDLen {
		// RFC 9113, Section 4.2: a frame too small to contain mandatory
		// frame data is a FRAME_SIZE_ERROR; on stream 0, a connection
		// error.
		return nil, connError(ErrCodeFrameSize, "PRIORITY_UPDATE frame shorter than 4 octets (RFC 9113, Section 4.2; RFC 9218, Section 7.1)")
	}
	id := be32(payload) & streamIDMask
	if id == 0 {
		// RFC 9218, Section 7.1: a prioritized stream ID of 0 is a
		// connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "PRIORITY_UPDATE for stream 0 (RFC 9218, Section 7.1)")
	}
	f := &p.priorityUpdate
	*f = PriorityUpdate{PrioritizedID: id, FieldValue: payload[prioritizedIDLen:]}
	return f, nil
}
