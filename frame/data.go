package frame

// Data is a DATA frame (type 0x0), which carries application data on a
// stream (RFC 9113, Section 6.1):
//
//	DATA Frame {
//	  Length (24),
//	  Type (8) = 0x00,
//	  Unused Flags (4),
//	  PADDED Flag (1),
//	  Unused Flags (2),
//	  END_STREAM Flag (1),
//	  Reserved (1),
//	  Stream Identifier (31),
//	  [Pad Length (8)],
//	  Data (..),
//	  Padding (..2040),
//	}
//
// The whole payload, Pad Length and padding included, counts against flow
// control; that is Len(), not len(Data).
type Data struct {
	StreamID  uint32
	EndStream bool  // END_STREAM (0x1): the sender's last frame on the stream
	Padded    bool  // PADDED (0x8): Pad Length and padding are present
	PadLength uint8 // octets of padding, used only when Padded
	Data      []byte
}

// FrameHeader returns the header Append writes.
func (f *Data) FrameHeader() Header {
	var fl Flags
	if f.EndStream {
		fl |= FlagEndStream
	}
	if f.Padded {
		fl |= FlagPadded
	}
	return Header{Length: uint32(f.Len()), Type: TypeData, Flags: fl, StreamID: f.StreamID}
}

// Len returns the payload length: the data plus, when Padded, the Pad
// Length octet and the padding.
func (f *Data) Len() int {
	n := len(f.Data)
	if f.Padded {
		n += 1 + int(f.PadLength)
	}
	return n
}

// Append appends the frame to dst; padding octets are zero (RFC 9113,
// Section 6.1).
func (f *Data) Append(dst []byte) []byte {
	dst = f.FrameHeader().Append(dst)
	if !f.Padded {
		return append(dst, f.Data...)
	}
	dst = append(dst, f.PadLength)
	dst = append(dst, f.Data...)
	return appendZeros(dst, int(f.PadLength))
}

func parseData(p *Parser, h Header, payload []byte) (Frame, *Error) {
	if h.StreamID == 0 {
		// RFC 9113, Section 6.1: DATA frames MUST be associated with a
		// stream; stream 0 is a connection error of type PROTOCOL_ERROR.
		return nil, connError(ErrCodeProtocol, "DATA frame on stream 0 (RFC 9113, Section 6.1)")
	}
	f := &p.data
	*f = Data{StreamID: h.StreamID, EndStream: h.Flags.Has(FlagEndStream)}
	if h.Flags.Has(FlagPadded) {
		body, pad, err := unpad(payload, 0,
			"DATA frame too short for its Pad Length field (RFC 9113, Sections 4.2 and 6.1)",
			"DATA padding is not shorter than the payload (RFC 9113, Section 6.1)")
		if err != nil {
			return nil, err
		}
		f.Padded, f.PadLength, f.Data = true, pad, body
		return f, nil
	}
	f.Data = payload
	return f, nil
}
