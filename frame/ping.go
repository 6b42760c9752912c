package frame

// pingLen is the fixed payload length of PING.
const pingLen = 8

// Ping is a PING frame (type 0x6), which measures round-trip time and checks
// that an idle connection still works (RFC 9113, Section 6.7):
//
//	PING Frame {
//	  Length (24) = 0x08,
//	  Type (8) = 0x06,
//	  Unused Flags (7),
//	  ACK Flag (1),
//	  Reserved (1),
//	  Stream Identifier (31) = 0,
//	  Opaque Data (64),
//	}
//
// A PING without Ack is answered by a PING with Ack and the same Data.
type Ping struct {
	Ack  bool // ACK (0x1): this is a PING response
	Data [8]byte
}

// FrameHeader returns the header Append writes, on stream 0.
func (f *Ping) FrameHeader() Header {
	var fl Flags
	if f.Ack {
		fl = FlagAck
	}
	return Header{Length: pingLen, Type: TypePing, Flags: fl}
}

// Len returns 8, the fixed payload length.
func (f *Ping) Len() int { return pingLen }

// Append appends the frame to dst.
func (f *Ping) Append(dst []byte) []byte {
	return append(f.FrameHeader().Append(dst), f.Data[:]...)
}

func parsePing(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID != 0 {
		// RFC 9113, Section 6.7: a PING frame on a stream other than 0 is a
		// connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "PING frame on a stream other than 0 (RFC 9113, Section 6.7)")
	}
	if len(payload) != pingLen {
		// RFC 9113, Section 6.7: a length other than 8 is a connection
		// error of type FRAME_SIZE_ERROR.
		return nil, connError(ErrCodeFrameSize, "PING length is not 8 (RFC 9113, Section 6.7)")
	}
	f := &p.ping
	f.Ack = h.Flags.Has(FlagAck)
	copy(f.Data[:], payload)
	return f, nil
}
