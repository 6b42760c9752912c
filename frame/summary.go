package frame

import "strconv"

// AppendSummary appends a description of a frame in the style of the
// `nghttp -v` tool of nghttp2, one line per item, each ending in '\n':
//
//	HEADERS frame <length=45, flags=0x25, stream_id=1>
//	          ; END_STREAM | END_HEADERS | PRIORITY
//	          (padlen=0, dep_stream_id=0, weight=16, exclusive=0)
//
// The first line describes hdr; every following line starts with indent.
// Pass [Parser.LastHeader] as hdr for a received frame (it keeps unused
// flags) and f.FrameHeader() for a frame being sent; if hdr is the zero
// Header, f.FrameHeader() is used. f may be nil (a frame that failed to
// parse), in which case only the lines that hdr alone determines are
// written.
//
// The first line shows hdr.Flags as given, unused flags included (nghttp's
// library clears those before printing, so pass f.FrameHeader() for an
// exact imitation). The detail lines follow nghttp: the names of the set
// flags the type defines ("; END_STREAM | PADDED"), if any, then
//
//	DATA             (padlen=N), only when PADDED
//	HEADERS          (padlen=N) or (padlen=N, dep_stream_id=D, weight=W, exclusive=E)
//	PRIORITY         (dep_stream_id=D, weight=W, exclusive=E)
//	RST_STREAM       (error_code=CANCEL(0x08))
//	SETTINGS         (niv=N) and one [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100] per setting
//	PUSH_PROMISE     (padlen=N, promised_stream_id=P)
//	PING             (opaque_data=0000000000000000)
//	GOAWAY           (last_stream_id=L, error_code=NO_ERROR(0x00), opaque_data(N)=[...])
//	WINDOW_UPDATE    (window_size_increment=I)
//	PRIORITY_UPDATE  (prioritized_stream_id=P, priority_field_value=[u=1, i])
//	unknown types    (type=0x0a)
//
// As in nghttp, padlen counts the Pad Length octet as well as the padding
// (PadLength+1 when PADDED, else 0), weight is the weight in 1..256 (the
// wire value plus one), error codes are named (unknown ones "unknown") and
// debug data shows printable ASCII with '.' for other octets. The caller
// adds the "[  0.164] send " prefix to the first line and any decoded header
// fields after the summary.
func AppendSummary(dst []byte, f Frame, hdr Header, indent string) []byte {
	if hdr == (Header{}) && f != nil {
		hdr = f.FrameHeader()
	}
	dst = append(dst, hdr.Type.String()...)
	dst = append(dst, " frame <length="...)
	dst = strconv.AppendUint(dst, uint64(hdr.Length), 10)
	dst = append(dst, ", flags=0x"...)
	dst = appendHex2(dst, uint64(hdr.Flags))
	dst = append(dst, ", stream_id="...)
	dst = strconv.AppendUint(dst, uint64(hdr.StreamID), 10)
	dst = append(dst, ">\n"...)
	dst = appendFlagNames(dst, hdr, indent)
	switch f := f.(type) {
	case *Data:
		if f.Padded {
			dst = append(dst, indent...)
			dst = appendPadLen(append(dst, '('), f.Padded, f.PadLength)
			dst = append(dst, ")\n"...)
		}
	case *Headers:
		dst = append(dst, indent...)
		dst = appendPadLen(append(dst, '('), f.Padded, f.PadLength)
		if f.HasPriority {
			dst = appendPriorityParam(append(dst, ", "...), f.Priority)
		}
		dst = append(dst, ")\n"...)
	case *Priority:
		dst = append(dst, indent...)
		dst = appendPriorityParam(append(dst, '('), f.PriorityParam)
		dst = append(dst, ")\n"...)
	case *RSTStream:
		dst = append(dst, indent...)
		dst = appendErrCode(append(dst, "(error_code="...), f.Code)
		dst = append(dst, ")\n"...)
	case *Settings:
		dst = append(dst, indent...)
		dst = append(dst, "(niv="...)
		dst = strconv.AppendUint(dst, uint64(len(f.Settings)), 10)
		dst = append(dst, ")\n"...)
		for _, s := range f.Settings {
			dst = append(dst, indent...)
			dst = s.appendSummary(append(dst, '['))
			dst = append(dst, "]\n"...)
		}
	case *PushPromise:
		dst = append(dst, indent...)
		dst = appendPadLen(append(dst, '('), f.Padded, f.PadLength)
		dst = append(dst, ", promised_stream_id="...)
		dst = strconv.AppendUint(dst, uint64(f.PromisedID), 10)
		dst = append(dst, ")\n"...)
	case *Ping:
		dst = append(dst, indent...)
		dst = append(dst, "(opaque_data="...)
		for _, b := range f.Data {
			dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
		}
		dst = append(dst, ")\n"...)
	case *GoAway:
		dst = append(dst, indent...)
		dst = append(dst, "(last_stream_id="...)
		dst = strconv.AppendUint(dst, uint64(f.LastStreamID), 10)
		dst = appendErrCode(append(dst, ", error_code="...), f.Code)
		dst = append(dst, ", opaque_data("...)
		dst = strconv.AppendUint(dst, uint64(len(f.DebugData)), 10)
		dst = appendASCII(append(dst, ")=["...), f.DebugData)
		dst = append(dst, "])\n"...)
	case *WindowUpdate:
		dst = append(dst, indent...)
		dst = append(dst, "(window_size_increment="...)
		dst = strconv.AppendUint(dst, uint64(f.Increment), 10)
		dst = append(dst, ")\n"...)
	case *PriorityUpdate:
		dst = append(dst, indent...)
		dst = append(dst, "(prioritized_stream_id="...)
		dst = strconv.AppendUint(dst, uint64(f.PrioritizedID), 10)
		dst = appendASCII(append(dst, ", priority_field_value=["...), f.FieldValue)
		dst = append(dst, "])\n"...)
	case *Unknown:
		dst = append(dst, indent...)
		dst = append(dst, "(type=0x"...)
		dst = appendHex2(dst, uint64(f.Hdr.Type))
		dst = append(dst, ")\n"...)
	}
	return dst
}

// flagNames lists, per frame type, the flags it defines in the order nghttp
// prints them.
var flagNames = [256][]struct {
	flag Flags
	name string
}{
	TypeData:         {{FlagEndStream, "END_STREAM"}, {FlagPadded, "PADDED"}},
	TypeHeaders:      {{FlagEndStream, "END_STREAM"}, {FlagEndHeaders, "END_HEADERS"}, {FlagPadded, "PADDED"}, {FlagPriority, "PRIORITY"}},
	TypeSettings:     {{FlagAck, "ACK"}},
	TypePushPromise:  {{FlagEndHeaders, "END_HEADERS"}, {FlagPadded, "PADDED"}},
	TypePing:         {{FlagAck, "ACK"}},
	TypeContinuation: {{FlagEndHeaders, "END_HEADERS"}},
}

// appendFlagNames appends indent+"; NAME | NAME\n" for the flags hdr's type
// defines that are set, in nghttp's order, and nothing when none is set.
// (nghttp never shows unused flags: its library clears them on receipt.)
func appendFlagNames(dst []byte, hdr Header, indent string) []byte {
	sep := false
	for _, fn := range flagNames[hdr.Type] {
		if hdr.Flags&fn.flag == 0 {
			continue
		}
		if sep {
			dst = append(dst, " | "...)
		} else {
			dst = append(dst, indent...)
			dst = append(dst, "; "...)
		}
		dst = append(dst, fn.name...)
		sep = true
	}
	if sep {
		dst = append(dst, '\n')
	}
	return dst
}

func appendPadLen(dst []byte, padded bool, padLength uint8) []byte {
	n := 0
	if padded {
		n = 1 + int(padLength) // nghttp counts the Pad Length octet
	}
	return strconv.AppendInt(append(dst, "padlen="...), int64(n), 10)
}

func appendPriorityParam(dst []byte, pp PriorityParam) []byte {
	dst = append(dst, "dep_stream_id="...)
	dst = strconv.AppendUint(dst, uint64(pp.StreamDep), 10)
	dst = append(dst, ", weight="...)
	dst = strconv.AppendUint(dst, uint64(pp.Weight)+1, 10)
	dst = append(dst, ", exclusive="...)
	if pp.Exclusive {
		return append(dst, '1')
	}
	return append(dst, '0')
}

// appendErrCode appends "NAME(0xNN)" as nghttp does, "unknown" for codes
// RFC 9113 does not define.
func appendErrCode(dst []byte, c ErrCode) []byte {
	if c < ErrCode(len(errCodeNames)) {
		dst = append(dst, errCodeNames[c]...)
	} else {
		dst = append(dst, "unknown"...)
	}
	dst = append(dst, "(0x"...)
	dst = appendHex2(dst, uint64(c))
	return append(dst, ')')
}

// appendASCII appends printable ASCII octets as they are and others as '.'.
func appendASCII(dst, b []byte) []byte {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendHex2 appends v in lower-case hexadecimal, at least two digits, like
// printf's %02x.
func appendHex2(dst []byte, v uint64) []byte {
	if v < 0x10 {
		dst = append(dst, '0')
	}
	return strconv.AppendUint(dst, v, 16)
}
