package frame

// Unknown is a frame of a type this package does not define (see
// [Type.Known]), for example an extension frame (RFC 9113, Section 5.5).
// Implementations MUST ignore and discard frames of unknown types
// (Section 4.1), so Parse never fails on one except when it exceeds
// MaxFrameSize; Unknown keeps the frame as received so a caller that knows
// the extension can decode it, or relay it.
//
// Sending extension frames is the caller's responsibility: Append writes
// Hdr's type, flags and stream as given (the reserved bit cleared) and
// len(Payload) as the length. Hdr.Type should be a type for which Known is
// false; otherwise the bytes parse back as that known type.
type Unknown struct {
	Hdr     Header // as received: all flags kept; Hdr.Length == len(Payload)
	Payload []byte
}

// FrameHeader returns Hdr with Length set to len(Payload).
func (f *Unknown) FrameHeader() Header {
	h := f.Hdr
	h.Length = uint32(len(f.Payload))
	return h
}

// Len returns the length of the payload.
func (f *Unknown) Len() int { return len(f.Payload) }

// Append appends the frame to dst.
func (f *Unknown) Append(dst []byte) []byte {
	return append(f.FrameHeader().Append(dst), f.Payload...)
}
