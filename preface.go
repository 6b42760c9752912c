package h2kit

import (
	"bytes"

	"github.com/h2kit/h2kit/frame"
)

// checkPreface matches p against the part of the client preface still
// expected (RFC 9113, Section 3.4) and returns how much of p it used.
// Input that is not the preface is kept (a few KiB at most) until it can
// be told apart from an HTTP/1.x request line, in any chunking, so that
// the error says which it was (an adapter may answer HTTP/1.1 with 505).
func (c *Conn) checkPreface(p []byte) (int, *ConnError) {
	if c.prefaceBad == nil {
		off := len(frame.ClientPreface) - c.prefaceLeft
		want := frame.ClientPreface[off:]
		k := min(len(p), len(want))
		if string(p[:k]) == want[:k] {
			c.prefaceLeft -= k
			return k, nil
		}
		c.prefaceBad = append(make([]byte, 0, 64), frame.ClientPreface[:off]...)
	}
	c.prefaceBad = append(c.prefaceBad, p[:min(len(p), maxHTTP1Sniff-len(c.prefaceBad))]...)
	switch sniffHTTP1(c.prefaceBad) {
	case sniffYes:
		return len(p), &ConnError{Code: frame.ErrCodeProtocol, Reason: ErrHTTP1.Error(), Initiator: Local, cause: ErrHTTP1}
	case sniffMaybe:
		if len(c.prefaceBad) < maxHTTP1Sniff {
			return len(p), nil // need more bytes to decide
		}
	}
	return len(p), &ConnError{Code: frame.ErrCodeProtocol, Reason: "invalid connection preface", Initiator: Local}
}

// maxHTTP1Sniff bounds the bytes kept to recognize an HTTP/1.x request line.
const maxHTTP1Sniff = 4096

const (
	sniffNo = iota
	sniffYes
	sniffMaybe
)

// sniffHTTP1 reports whether b starts with an HTTP/1.x request line
// ("METHOD SP request-target SP HTTP/1."), is not one, or may still be
// one given more bytes.
func sniffHTTP1(b []byte) int {
	i := 0
	for i < len(b) && 'A' <= b[i] && b[i] <= 'Z' {
		i++
	}
	switch {
	case i > 20:
		return sniffNo
	case i == len(b):
		return sniffMaybe
	case i == 0 || b[i] != ' ':
		return sniffNo
	}
	j := i + 1
	for j < len(b) && b[j] > ' ' && b[j] < 0x7f {
		j++
	}
	switch {
	case j == len(b):
		return sniffMaybe
	case j == i+1 || b[j] != ' ':
		return sniffNo
	}
	const version = "HTTP/1."
	rest := b[j+1:]
	k := min(len(rest), len(version))
	if string(rest[:k]) != version[:k] {
		return sniffNo
	}
	if k < len(version) {
		return sniffMaybe
	}
	return sniffYes
}

// checkFirstFrame applies RFC 9113, Section 3.4 to the header of the
// peer's first frame, before its payload arrives: it must be SETTINGS
// (without ACK), or the preface is invalid.
func (c *Conn) checkFirstFrame(b []byte) *ConnError {
	h := frame.ParseHeader(b)
	if h.Type == frame.TypeSettings && !h.Flags.Has(frame.FlagAck) {
		return nil
	}
	if c.role == Client && bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return connErr(frame.ErrCodeProtocol, "HTTP/1.x response received instead of the server's SETTINGS")
	}
	return connErr(frame.ErrCodeProtocol, "first frame is not SETTINGS")
}
