//go:build h2kit_openssl && cgo

package tlsossl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"
)

// Config configures one side of a connection. A Config may be shared by
// many connections and must not be changed while they use it.
type Config struct {
	// Certificates: the first one is presented, its chain included. A
	// server needs one; a client presents it when the server asks (also
	// during a renegotiation). The private key must be one
	// x509.MarshalPKCS8PrivateKey accepts (RSA, ECDSA, Ed25519).
	Certificates []tls.Certificate
	// ClientCAs verifies client certificates (server). Renegotiate needs it.
	ClientCAs *x509.CertPool
	// RootCAs verifies the server's certificate (client); nil means the
	// system's roots.
	RootCAs *x509.CertPool
	// ServerName is sent in SNI (unless it is an IP address) and checked
	// against the server's certificate (client).
	ServerName string
	// InsecureSkipVerify accepts any server certificate (client; tests).
	InsecureSkipVerify bool
	// NextProtos lists the ALPN protocols, preferred first: the server
	// picks the first of its own the client offers (none in common is a
	// no_application_protocol alert, RFC 7301 §3.2); the client offers
	// them. For HTTP/2: "h2", "http/1.1".
	NextProtos []string
	// MinVersion and MaxVersion bound the TLS version, as crypto/tls's
	// constants (tls.VersionTLS12, tls.VersionTLS13). Zero means TLS 1.2
	// (RFC 9113 §9.2) and TLS 1.3.
	MinVersion, MaxVersion uint16
	// Time returns the current time for certificate verification; nil
	// means time.Now.
	Time func() time.Time
}

func (cfg *Config) certificate() *tls.Certificate {
	if len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil
	}
	return &cfg.Certificates[0]
}

// ErrRenegotiationUnsupported is returned by Renegotiate on a connection
// that cannot renegotiate: TLS 1.3 (which has no renegotiation), a client
// side, or a peer without RFC 5746 secure renegotiation.
var ErrRenegotiationUnsupported = errors.New("tlsossl: renegotiation is not possible on this connection")

// Conn is a TLS connection over a net.Conn, driven by libssl. It is a
// net.Conn: Read and Write may be called concurrently with each other,
// and with Renegotiate and Close. The first Read or Write runs the
// handshake if Handshake was not called.
type Conn struct {
	nc     net.Conn
	cfg    *Config
	server bool
	v      *verifier
	clean  runtime.Cleanup

	// readTok is held by the one goroutine that reads nc (see fill).
	readTok chan struct{}
	raw     []byte // fill's read buffer, owned by readTok's holder

	// wmu orders the writes to nc: it is taken before mu is released, so
	// that bytes leave in the order libssl produced them.
	wmu sync.Mutex

	mu       sync.Mutex
	cc       *cConn        // nil once closed
	progress chan struct{} // closed (and replaced) when the state may have changed
	plain    []byte        // decrypted application data not yet read
	readErr  error         // sticky: end of stream, TLS failure
	writeErr error         // sticky
	hsDone   bool          // the first handshake completed
	alpn     string        // the protocol the first handshake chose
	sentEnd  bool          // close_notify sent
	// renegotiating is set while Renegotiate runs, from before the
	// HelloRequest to the end of the handshake: Write waits meanwhile.
	// libssl itself would write application data between the
	// HelloRequest and the client's ClientHello, which clients such as
	// Go's crypto/tls take as an unexpected message.
	renegotiating bool

	dmu          sync.Mutex
	readDeadline time.Time
}

// Server returns the server side of a TLS connection over nc. The
// handshake runs on the first Read, Write or Handshake.
func Server(nc net.Conn, cfg *Config) (*Conn, error) {
	if cfg.certificate() == nil {
		return nil, errors.New("tlsossl: Server needs Config.Certificates")
	}
	return newConn(nc, cfg, true)
}

// Client returns the client side of a TLS connection over nc. Either
// ServerName or InsecureSkipVerify must be set.
func Client(nc net.Conn, cfg *Config) (*Conn, error) {
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		return nil, errors.New("tlsossl: Client needs Config.ServerName or InsecureSkipVerify")
	}
	return newConn(nc, cfg, false)
}

func newConn(nc net.Conn, cfg *Config, server bool) (*Conn, error) {
	minv, maxv := cfg.MinVersion, cfg.MaxVersion
	if minv == 0 {
		minv = tls.VersionTLS12
	}
	if maxv == 0 {
		maxv = tls.VersionTLS13
	}
	if minv < tls.VersionTLS12 || maxv > tls.VersionTLS13 || minv > maxv {
		return nil, fmt.Errorf("tlsossl: versions %#x to %#x: only TLS 1.2 and 1.3 are supported", minv, maxv)
	}
	v := &verifier{server: server, cfg: cfg}
	cc, err := newCConn(server, cfg, v, minv, maxv)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		nc: nc, cfg: cfg, server: server, v: v, cc: cc,
		readTok:  make(chan struct{}, 1),
		raw:      make([]byte, 32<<10),
		progress: make(chan struct{}),
	}
	c.readTok <- struct{}{}
	// A Conn dropped without Close still frees its C objects.
	c.clean = runtime.AddCleanup(c, freeCConn, cc)
	return c, nil
}

// handshakeDoneLocked records the end of the first handshake (mu held).
func (c *Conn) handshakeDoneLocked() {
	c.hsDone = true
	c.alpn = c.cc.state(c.server).alpn
}

// broadcastLocked wakes the goroutines waiting for progress (mu held).
func (c *Conn) broadcastLocked() {
	close(c.progress)
	c.progress = make(chan struct{})
}

// flushUnlock sends what libssl produced and releases mu: wmu is taken
// before mu is released, so that output leaves in libssl's order.
func (c *Conn) flushUnlock() error {
	if c.cc == nil {
		c.mu.Unlock()
		return nil
	}
	out := c.cc.take(nil)
	if len(out) == 0 || c.writeErr != nil {
		err := c.writeErr
		c.mu.Unlock()
		if len(out) > 0 {
			return err
		}
		return nil
	}
	c.wmu.Lock()
	c.mu.Unlock()
	_, err := c.nc.Write(out)
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		if c.writeErr == nil {
			c.writeErr = err
		}
		c.mu.Unlock()
	}
	return err
}

// aLongTimeAgo is a deadline that has passed, to interrupt a Read of nc.
var aLongTimeAgo = time.Unix(1, 0)

// fill reads nc once (the caller holds readTok), gives the bytes to libssl
// and runs SSL_read until libssl wants more: handshake records are
// processed (and their answers sent), application data is appended to
// c.plain. A cancelled ctx interrupts the read of nc through its read
// deadline, which is then restored.
func (c *Conn) fill(ctx context.Context) error {
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { c.nc.SetReadDeadline(aLongTimeAgo) })
		defer func() {
			if !stop() {
				c.dmu.Lock()
				c.nc.SetReadDeadline(c.readDeadline)
				c.dmu.Unlock()
			}
		}()
	}
	n, rerr := c.nc.Read(c.raw)
	c.mu.Lock()
	if c.cc == nil {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.cc.feed(c.raw[:n])
	unread := -1
	for c.readErr == nil {
		if cap(c.plain)-len(c.plain) < 16<<10 {
			c.plain = append(c.plain, make([]byte, 16<<10)...)[:len(c.plain)]
		}
		r, err := c.cc.op(opRead, c.plain[len(c.plain):cap(c.plain)])
		if r > 0 {
			c.plain = c.plain[:len(c.plain)+r]
			continue
		}
		var se *sslError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.code == errWantRead:
			// Without SSL_MODE_AUTO_RETRY, SSL_read stops with WANT_READ
			// after a record that carried no application data (a TLS 1.3
			// NewSessionTicket, a renegotiation message) even when more
			// records wait in the read BIO. Go on while libssl still
			// takes bytes in; stop when it wants more from the network.
			if u := c.cc.unread(); u > 0 && u != unread {
				unread = u
				continue
			}
		case errors.As(err, &se) && se.code == errZeroReturn:
			c.readErr = io.EOF
		default:
			c.readErr = c.tlsError(err)
		}
		break
	}
	if !c.hsDone && c.cc.initFinished() {
		c.handshakeDoneLocked() // SSL_read completed the first handshake
	}
	var ret error
	if rerr != nil {
		if ne, ok := rerr.(net.Error); ok && ne.Timeout() {
			// Not sticky: the deadline may move.
			ret = rerr
			if ctx.Err() != nil {
				ret = ctx.Err()
			}
		} else if c.readErr == nil {
			if rerr == io.EOF && !c.hsDone {
				rerr = io.ErrUnexpectedEOF
			}
			c.readErr = rerr
		}
	}
	c.broadcastLocked()
	if werr := c.flushUnlock(); ret == nil {
		ret = werr
	}
	return ret
}

// tlsError makes a libssl failure readable, with the reason x509 gave when
// the peer's certificate was refused.
func (c *Conn) tlsError(err error) error {
	if c.v.err != nil {
		return fmt.Errorf("%w (libssl: %v)", c.v.err, err)
	}
	return fmt.Errorf("tlsossl: %w", err)
}

// wait blocks until the state may have changed since prog was current:
// by reading the network itself when no other goroutine does, or by
// waiting for that goroutine's progress, ctx or the deadline.
func (c *Conn) wait(ctx context.Context, prog chan struct{}, deadline time.Time) error {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-prog:
		return nil
	case <-c.readTok:
		defer func() { c.readTok <- struct{}{} }()
		select {
		case <-prog: // someone made progress while we waited for the token
			return nil
		default:
		}
		return c.fill(ctx)
	case <-ctx.Done():
		return ctx.Err()
	case <-timer:
		return os.ErrDeadlineExceeded
	}
}

// HandshakeContext is Handshake, named as crypto/tls's, so that a *Conn
// and a *tls.Conn satisfy the same interface (h2server.TLSConn).
func (c *Conn) HandshakeContext(ctx context.Context) error { return c.Handshake(ctx) }

// Handshake runs the TLS handshake if it has not run; ctx bounds it.
func (c *Conn) Handshake(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.hsDone {
			c.mu.Unlock()
			return nil
		}
		if c.cc == nil {
			c.mu.Unlock()
			return net.ErrClosed
		}
		if c.readErr != nil {
			err := c.readErr
			c.mu.Unlock()
			return handshakeError(err)
		}
		r, err := c.cc.op(opHandshake, nil)
		var se *sslError
		switch {
		case r == 1:
			c.handshakeDoneLocked()
		case errors.As(err, &se) && se.code == errWantRead:
		default:
			c.readErr = c.tlsError(err)
		}
		c.broadcastLocked()
		prog := c.progress
		done, rerr := c.hsDone, c.readErr
		if werr := c.flushUnlock(); werr != nil && rerr == nil {
			return werr
		}
		if done {
			return nil
		}
		if rerr != nil {
			return handshakeError(rerr)
		}
		if err := c.wait(ctx, prog, time.Time{}); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() || ctx.Err() != nil {
				return handshakeError(err)
			}
		}
	}
}

func handshakeError(err error) error {
	return fmt.Errorf("tlsossl: handshake: %w", err)
}

// Read reads application data. Data that arrived during a renegotiation
// was buffered and comes first, in order.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	for {
		c.mu.Lock()
		if len(c.plain) > 0 {
			n := copy(p, c.plain)
			c.plain = c.plain[:copy(c.plain, c.plain[n:])]
			c.mu.Unlock()
			return n, nil
		}
		if c.cc == nil {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		if c.readErr != nil {
			err := c.readErr
			c.mu.Unlock()
			return 0, err
		}
		if len(p) == 0 {
			c.mu.Unlock()
			return 0, nil
		}
		prog := c.progress
		c.mu.Unlock()
		c.dmu.Lock()
		dl := c.readDeadline
		c.dmu.Unlock()
		if err := c.wait(context.Background(), prog, dl); err != nil {
			return 0, err
		}
	}
}

// maxChunk is the most handed to one SSL_write: one TLS record.
const maxChunk = 16 << 10

// Write writes application data. While Renegotiate runs (from before
// its HelloRequest until the handshake is over) Write waits for it to
// end, without reading the network itself: the renegotiation, or a
// concurrent Read, does. Writes already queued by libssl leave first.
func (c *Conn) Write(p []byte) (int, error) {
	if err := c.Handshake(context.Background()); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		chunk := p[n:min(len(p), n+maxChunk)]
		c.mu.Lock()
		switch {
		case c.cc == nil:
			c.mu.Unlock()
			return n, net.ErrClosed
		case c.writeErr != nil:
			err := c.writeErr
			c.mu.Unlock()
			return n, err
		case c.sentEnd:
			c.mu.Unlock()
			return n, errors.New("tlsossl: write after CloseWrite")
		case c.readErr != nil && c.readErr != io.EOF:
			err := c.readErr
			c.mu.Unlock()
			return n, err
		case c.renegotiating:
			prog := c.progress
			c.mu.Unlock()
			<-prog // Renegotiate broadcasts when it ends (so does Close)
			continue
		}
		r, err := c.cc.op(opWrite, chunk)
		prog := c.progress
		var se *sslError
		wantRead := errors.As(err, &se) && se.code == errWantRead
		if r <= 0 && !wantRead {
			c.writeErr = c.tlsError(err)
		}
		if werr := c.flushUnlock(); werr != nil {
			return n, werr
		}
		if r > 0 {
			n += r
			continue
		}
		if !wantRead {
			c.mu.Lock()
			err := c.writeErr
			c.mu.Unlock()
			return n, err
		}
		// A handshake is running: wait for the peer's next messages.
		if err := c.wait(context.Background(), prog, time.Time{}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// CloseWrite sends close_notify and, when the underlying connection has
// CloseWrite (TCP), half-closes it.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	if c.cc == nil {
		c.mu.Unlock()
		return net.ErrClosed
	}
	if !c.hsDone {
		c.mu.Unlock()
		return errors.New("tlsossl: CloseWrite before the handshake")
	}
	if !c.sentEnd {
		c.sentEnd = true
		c.cc.op(opShutdown, nil)
	}
	if err := c.flushUnlock(); err != nil {
		return err
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close sends close_notify (when the handshake completed, with a write
// deadline of 5 seconds), frees the C objects and closes the underlying
// connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.cc == nil {
		c.mu.Unlock()
		return net.ErrClosed
	}
	var out []byte
	if c.hsDone && !c.sentEnd && c.writeErr == nil {
		c.sentEnd = true
		c.cc.op(opShutdown, nil)
		out = c.cc.take(nil)
	}
	c.clean.Stop()
	c.cc.free()
	c.cc = nil
	c.broadcastLocked()
	c.mu.Unlock()
	if len(out) > 0 && c.wmu.TryLock() {
		c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.nc.Write(out)
		c.wmu.Unlock()
	}
	return c.nc.Close()
}

// LocalAddr returns the underlying connection's local address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the underlying connection's remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// SetDeadline sets the read and write deadlines (see SetReadDeadline).
func (c *Conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	c.readDeadline = t
	c.dmu.Unlock()
	err := c.nc.SetDeadline(t)
	c.wakeReaders()
	return err
}

// wakeReaders makes the Reads that wait for another goroutine's progress
// look at their deadline again (it changed).
func (c *Conn) wakeReaders() {
	c.mu.Lock()
	c.broadcastLocked()
	c.mu.Unlock()
}

// SetReadDeadline sets the read deadline of the underlying connection; a
// Read waiting while another goroutine reads the network (during a
// renegotiation) honours it too.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.readDeadline = t
	c.dmu.Unlock()
	err := c.nc.SetReadDeadline(t)
	c.wakeReaders()
	return err
}

// SetWriteDeadline sets the write deadline of the underlying connection.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// ConnectionState returns the parameters of the connection as
// crypto/tls describes them: Version, CipherSuite (IANA id),
// NegotiatedProtocol, ServerName, DidResume, HandshakeComplete, TLSUnique
// (TLS 1.2), PeerCertificates (leaf first) and VerifiedChains. After a
// renegotiation they are those of the new handshake, with the client's
// certificate if it sent one.
func (c *Conn) ConnectionState() tls.ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cs tls.ConnectionState
	if c.cc == nil || !c.hsDone {
		return cs
	}
	st := c.cc.state(c.server)
	cs.Version = st.version
	cs.CipherSuite = st.cipher
	// The application protocol is the connection's, chosen by the first
	// handshake (RFC 7301 §1); libssl reports none after a renegotiation
	// (it does not select ALPN again), so the first answer is kept.
	cs.NegotiatedProtocol = c.alpn
	cs.DidResume = st.reused
	cs.HandshakeComplete = c.cc.initFinished()
	cs.ServerName = st.sni
	if !c.server {
		cs.ServerName = c.cfg.ServerName
	}
	if st.version == tls.VersionTLS12 {
		cs.TLSUnique = st.finished
	}
	cs.PeerCertificates = append([]*x509.Certificate(nil), c.v.peer...)
	for _, ch := range c.v.chains {
		cs.VerifiedChains = append(cs.VerifiedChains, append([]*x509.Certificate(nil), ch...))
	}
	return cs
}

// CanRenegotiate reports whether Renegotiate can run on this connection
// now: a server whose first handshake completed on TLS 1.2, with a client
// that supports secure renegotiation (RFC 5746), Config.ClientCAs set, and
// no failure so far. h2server advertises TLS_RENEG_PERMITTED 0x02 only
// then (MS-HTTP2E: only where the server can honour it).
func (c *Conn) CanRenegotiate() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server && c.cc != nil && c.hsDone && c.readErr == nil && c.writeErr == nil &&
		c.cc.version() == tls.VersionTLS12 && c.cc.secureReneg() && c.cfg.ClientCAs != nil
}

// Renegotiate runs a server-initiated renegotiation (a HelloRequest, RFC
// 5246 §7.4.1.1; secure renegotiation, RFC 5746) that asks the client for
// its certificate, for MS-HTTP2E's server-initiated renegotiation
// (TLS_RENEG_PERMITTED bit 0x02). With requireClientCert a client that
// sends none fails the handshake; without it, the handshake may complete
// with no certificate: ConnectionState().PeerCertificates tells. A
// certificate is verified against Config.ClientCAs, which must be set.
//
// It is for servers on TLS 1.2 only; otherwise it returns
// ErrRenegotiationUnsupported. The connection goes on being read while the
// handshake runs: application data received meanwhile is buffered for Read
// (a concurrent Read may be the goroutine that receives the handshake
// messages). Write waits from before the HelloRequest until Renegotiate
// returns, since clients such as Go's crypto/tls fail on application
// data interleaved with the handshake. A client that ignores
// the HelloRequest makes Renegotiate wait until ctx ends. A failed
// handshake ends the connection: Read and Write then return its error.
func (c *Conn) Renegotiate(ctx context.Context, requireClientCert bool) error {
	if !c.server {
		return fmt.Errorf("%w: a client", ErrRenegotiationUnsupported)
	}
	if err := c.Handshake(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	switch {
	case c.cc == nil:
		c.mu.Unlock()
		return net.ErrClosed
	case c.readErr != nil:
		err := c.readErr
		c.mu.Unlock()
		return fmt.Errorf("tlsossl: renegotiation: %w", err)
	case c.cc.version() != tls.VersionTLS12:
		c.mu.Unlock()
		return fmt.Errorf("%w: %s (TLS 1.3 has no renegotiation)", ErrRenegotiationUnsupported, tls.VersionName(c.cc.version()))
	case !c.cc.secureReneg():
		c.mu.Unlock()
		return fmt.Errorf("%w: the client does not support secure renegotiation (RFC 5746)", ErrRenegotiationUnsupported)
	case c.cfg.ClientCAs == nil:
		c.mu.Unlock()
		return errors.New("tlsossl: Renegotiate needs Config.ClientCAs")
	}
	c.v.peer, c.v.chains, c.v.err = nil, nil, nil
	c.renegotiating = true
	defer func() {
		c.mu.Lock()
		c.renegotiating = false
		c.broadcastLocked()
		c.mu.Unlock()
	}()
	if err := c.cc.renegotiate(requireClientCert); err != nil {
		c.readErr = c.tlsError(err)
		err := c.readErr
		c.broadcastLocked()
		c.mu.Unlock()
		return fmt.Errorf("tlsossl: renegotiation: %w", err)
	}
	c.broadcastLocked()
	if err := c.flushUnlock(); err != nil {
		return fmt.Errorf("tlsossl: renegotiation: %w", err)
	}
	for {
		c.mu.Lock()
		switch {
		case c.readErr != nil:
			// Before the closed check: a failed handshake may make the
			// connection's reader close it at once, and its reason is
			// this error, not the close.
			err := c.readErr
			c.mu.Unlock()
			return fmt.Errorf("tlsossl: renegotiation: %w", err)
		case c.cc == nil:
			c.mu.Unlock()
			return net.ErrClosed
		case !c.cc.renegPending() && c.cc.initFinished():
			c.mu.Unlock()
			return nil
		}
		prog := c.progress
		c.mu.Unlock()
		if err := c.wait(ctx, prog, time.Time{}); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() || ctx.Err() != nil {
				return fmt.Errorf("tlsossl: renegotiation: %w", err)
			}
		}
	}
}

// marshalKey encodes a private key for libssl (PKCS #8 DER).
func marshalKey(k any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("tlsossl: private key: %w", err)
	}
	return der, nil
}

// alpnWire encodes protocol names as ALPN's wire list (RFC 7301 §3.1).
func alpnWire(protos []string) ([]byte, error) {
	var b []byte
	for _, p := range protos {
		if len(p) == 0 || len(p) > 255 {
			return nil, fmt.Errorf("tlsossl: ALPN protocol %q: length must be 1 to 255", p)
		}
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	return b, nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
