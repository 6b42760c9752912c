// Package tlsossl is an optional TLS backend on the system's OpenSSL 3
// (libssl), for what Go's crypto/tls does not offer: a server that
// renegotiates a TLS 1.2 connection to ask for a client certificate, as
// MS-HTTP2E (Microsoft's HTTP/2 extensions, setting TLS_RENEG_PERMITTED)
// and its protocol example describe.
//
// The package is built only with the build tag h2kit_openssl and cgo
// (Debian: apt-get install libssl-dev):
//
//	go test -tags h2kit_openssl ./tlsossl/
//
// Without the tag it holds this comment only, so the default build of the
// module stays pure Go with no cgo.
//
// With the tag, [Server] and [Client] wrap a net.Conn in a *[Conn]
// ([NewListener] makes a listener of Servers, for h2server.ServeTLSConns), a
// net.Conn whose ConnectionState fills a crypto/tls.ConnectionState
// (version, IANA cipher suite id, ALPN, peer certificates parsed and
// verified with crypto/x509). TLS 1.2 and 1.3 are supported, ALPN too
// (h2 and http/1.1 for HTTP/2). (*Conn).Renegotiate runs a
// server-initiated renegotiation (RFC 5246 §7.4.1.1, secure per RFC 5746)
// that requests or requires a client certificate, verified against
// Config.ClientCAs.
//
// # How it works
//
// Each Conn has its own SSL_CTX and SSL, on a pair of memory BIOs: libssl
// never touches the socket. Go reads the underlying net.Conn and feeds the
// bytes to libssl, and writes out what libssl produced, so deadlines of the
// underlying connection keep working. Every call into libssl holds the
// Conn's mutex; the network is read by one goroutine at a time (whoever
// needs progress: Read, Handshake, Renegotiate, or a Write blocked by a
// handshake), which decrypts everything it received into a buffer of
// application data that Read returns. Application data that arrives while
// a renegotiation runs is therefore buffered, not lost, and Read returns it
// in order (SSL_MODE_AUTO_RETRY is cleared so that libssl returns from
// SSL_read after each handshake record instead of blocking for more);
// Write waits until the renegotiation is over, so that no application
// data is interleaved with its handshake.
//
// Certificates are verified in Go: libssl's certificate verification is
// replaced (SSL_CTX_set_cert_verify_callback) by crypto/x509's Verify with
// Config.ClientCAs (server) or Config.RootCAs and ServerName (client); a
// failure makes libssl send the alert and fail the handshake, and the
// error returned says why x509 refused the chain.
//
// Sessions are not cached or resumed (no session cache, no tickets), so
// every handshake carries the peer's certificates. Client-initiated
// renegotiation is refused by the server (OpenSSL 3's default, without
// SSL_OP_ALLOW_CLIENT_RENEGOTIATION); the Client refuses every
// renegotiation (SSL_OP_NO_RENEGOTIATION).
package tlsossl
