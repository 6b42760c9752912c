package h2kit

// RenegDirection names who starts a TLS renegotiation (MS-HTTP2E).
type RenegDirection uint32

const (
	// RenegClientInitiated is TLS_RENEG_PERMITTED bit 0x1.
	RenegClientInitiated RenegDirection = 0x1
	// RenegServerInitiated is TLS_RENEG_PERMITTED bit 0x2.
	RenegServerInitiated RenegDirection = 0x2
)

// RenegotiationPermitted reports whether a TLS renegotiation started in
// direction d is allowed: both endpoints set that bit of
// TLS_RENEG_PERMITTED (MS-HTTP2E). Values count from when they were sent
// and received, without waiting for the SETTINGS ACK.
func (c *Conn) RenegotiationPermitted(d RenegDirection) bool {
	return c.local.TLSRenegPermitted&uint32(d) != 0 && c.peer.tlsRenegPermitted&uint32(d) != 0
}
