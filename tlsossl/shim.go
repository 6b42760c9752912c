//go:build h2kit_openssl && cgo

package tlsossl

// The C side: a few functions over libssl that do one thing each and
// collect libssl's error queue in the same call (the queue is per thread,
// and two cgo calls may run on two threads).

/*
#cgo LDFLAGS: -lssl -lcrypto
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

// h2kitVerifyPeer is Go's certificate verification (verify.go).
extern int h2kitVerifyPeer(uintptr_t handle, X509_STORE_CTX *sctx);

// h2k_conn holds every C object of one connection; h2k_free frees them.
typedef struct {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;            // network -> libssl; owned by ssl once attached
	BIO *wbio;            // libssl -> network; owned by ssl once attached
	unsigned char *alpn;  // server: our protocols, wire format
	unsigned int alpn_len;
} h2k_conn;

enum { H2K_HANDSHAKE = 0, H2K_READ = 1, H2K_WRITE = 2, H2K_SHUTDOWN = 3 };

// h2k_errors writes libssl's error queue, reasons only, into msg and
// empties the queue.
static void h2k_errors(char *msg, int msglen) {
	unsigned long e;
	int off = 0;
	msg[0] = 0;
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		char tmp[32];
		if (r == NULL) {
			snprintf(tmp, sizeof tmp, "error %lx", e);
			r = tmp;
		}
		if (off < msglen - 1) {
			off += snprintf(msg + off, msglen - off, "%s%s", off ? ": " : "", r);
		}
	}
}

static int h2k_cert_verify_cb(X509_STORE_CTX *sctx, void *arg) {
	return h2kitVerifyPeer((uintptr_t)arg, sctx);
}

// h2k_alpn_select picks the first of our protocols that the client offers
// (server preference). No overlap is a fatal no_application_protocol
// alert (RFC 7301 §3.2).
static int h2k_alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
		const unsigned char *in, unsigned int inlen, void *arg) {
	h2k_conn *c = arg;
	unsigned char *o;
	if (c->alpn_len == 0) {
		return SSL_TLSEXT_ERR_NOACK;
	}
	if (SSL_select_next_proto(&o, outlen, c->alpn, c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

static void h2k_free(h2k_conn *c) {
	if (c == NULL) {
		return;
	}
	if (c->ssl != NULL) {
		SSL_free(c->ssl); // frees both BIOs
	} else {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
	}
	SSL_CTX_free(c->ctx);
	free(c->alpn);
	free(c);
}

// h2k_new makes the SSL_CTX of one connection; the SSL comes later
// (h2k_start), once certificates and callbacks are set.
static h2k_conn *h2k_new(int server, int minv, int maxv, uintptr_t handle, char *msg, int msglen) {
	ERR_clear_error();
	h2k_conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	c->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (c->ctx == NULL
			|| !SSL_CTX_set_min_proto_version(c->ctx, minv)
			|| !SSL_CTX_set_max_proto_version(c->ctx, maxv)) {
		h2k_errors(msg, msglen);
		h2k_free(c);
		return NULL;
	}
	// No session cache and no tickets: every handshake is a full one and
	// shows the peer's certificates; nothing outlives the connection.
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(c->ctx, 0);
	uint64_t opts = SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION;
	if (!server) {
		opts |= SSL_OP_NO_RENEGOTIATION;
	}
	SSL_CTX_set_options(c->ctx, opts);
	// Reads return after each handshake record (renegotiation) instead of
	// waiting for application data; Go may retry a write from another
	// buffer address.
	SSL_CTX_clear_mode(c->ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(c->ctx, server ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(c->ctx, h2k_cert_verify_cb, (void *)handle);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (c->rbio == NULL || c->wbio == NULL) {
		h2k_errors(msg, msglen);
		h2k_free(c);
		return NULL;
	}
	return c;
}

// h2k_use_cert adds a DER certificate: the leaf (first) or the chain.
static int h2k_use_cert(h2k_conn *c, const unsigned char *der, long len, int leaf, char *msg, int msglen) {
	ERR_clear_error();
	X509 *x = d2i_X509(NULL, &der, len);
	int ok;
	if (x == NULL) {
		h2k_errors(msg, msglen);
		return 0;
	}
	if (leaf) {
		ok = SSL_CTX_use_certificate(c->ctx, x); // takes a reference
		X509_free(x);
	} else {
		ok = SSL_CTX_add0_chain_cert(c->ctx, x); // takes x on success
		if (!ok) {
			X509_free(x);
		}
	}
	if (!ok) {
		h2k_errors(msg, msglen);
	}
	return ok;
}

// h2k_use_key sets the private key from DER (PKCS #8) and checks that it
// matches the leaf certificate.
static int h2k_use_key(h2k_conn *c, const unsigned char *der, long len, char *msg, int msglen) {
	ERR_clear_error();
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &der, len);
	int ok = k != NULL && SSL_CTX_use_PrivateKey(c->ctx, k) && SSL_CTX_check_private_key(c->ctx);
	EVP_PKEY_free(k);
	if (!ok) {
		h2k_errors(msg, msglen);
	}
	return ok;
}

// h2k_set_alpn keeps our protocols (wire format): the server selects
// from them, the client offers them.
static int h2k_set_alpn(h2k_conn *c, const unsigned char *p, unsigned int len, int server) {
	c->alpn = malloc(len);
	if (c->alpn == NULL) {
		return 0;
	}
	memcpy(c->alpn, p, len);
	c->alpn_len = len;
	if (server) {
		SSL_CTX_set_alpn_select_cb(c->ctx, h2k_alpn_select, c);
		return 1;
	}
	return SSL_CTX_set_alpn_protos(c->ctx, c->alpn, c->alpn_len) == 0;
}

// h2k_start makes the SSL on the memory BIOs, in the server or client
// state; sni, when not NULL, is sent as the server name (client).
static int h2k_start(h2k_conn *c, int server, const char *sni, char *msg, int msglen) {
	ERR_clear_error();
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL) {
		h2k_errors(msg, msglen);
		return 0;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (server) {
		SSL_set_accept_state(c->ssl);
	} else {
		SSL_set_connect_state(c->ssl);
		if (sni != NULL && !SSL_set_tlsext_host_name(c->ssl, sni)) {
			h2k_errors(msg, msglen);
			return 0;
		}
	}
	return 1;
}

// h2k_op runs one libssl operation. It returns SSL_*'s result and sets
// *err to SSL_get_error's (0 on success) and msg to the error queue.
static int h2k_op(h2k_conn *c, int op, void *buf, int n, int *err, char *msg, int msglen) {
	int r = 0;
	ERR_clear_error();
	switch (op) {
	case H2K_HANDSHAKE:
		r = SSL_do_handshake(c->ssl);
		break;
	case H2K_READ:
		r = SSL_read(c->ssl, buf, n);
		break;
	case H2K_WRITE:
		r = SSL_write(c->ssl, buf, n);
		break;
	case H2K_SHUTDOWN:
		r = SSL_shutdown(c->ssl);
		*err = 0;
		ERR_clear_error();
		return r;
	}
	*err = r > 0 ? 0 : SSL_get_error(c->ssl, r);
	h2k_errors(msg, msglen);
	return r;
}

// h2k_renegotiate starts a server-initiated renegotiation that requests a
// client certificate (requires one when require is set): the verify mode,
// then SSL_renegotiate, then one SSL_do_handshake, which queues the
// HelloRequest. The handshake itself runs in later SSL_read calls, when the
// client's ClientHello arrives.
static int h2k_renegotiate(h2k_conn *c, int require, int *err, char *msg, int msglen) {
	ERR_clear_error();
	int mode = SSL_VERIFY_PEER;
	if (require) {
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	}
	SSL_set_verify(c->ssl, mode, NULL);
	if (!SSL_renegotiate(c->ssl)) {
		*err = SSL_ERROR_SSL;
		h2k_errors(msg, msglen);
		return 0;
	}
	int r = SSL_do_handshake(c->ssl);
	*err = r > 0 ? 0 : SSL_get_error(c->ssl, r);
	h2k_errors(msg, msglen);
	return r;
}

static int h2k_feed(h2k_conn *c, const void *p, int n) { return BIO_write(c->rbio, p, n); }
static int h2k_pending(h2k_conn *c) { return (int)BIO_ctrl_pending(c->wbio); }
static int h2k_unread(h2k_conn *c) { return (int)BIO_ctrl_pending(c->rbio); }
static int h2k_take(h2k_conn *c, void *p, int n) { return BIO_read(c->wbio, p, n); }
static int h2k_reneg_pending(h2k_conn *c) { return SSL_renegotiate_pending(c->ssl); }
static int h2k_secure_reneg(h2k_conn *c) { return (int)SSL_get_secure_renegotiation_support(c->ssl); }
static int h2k_version(h2k_conn *c) { return SSL_version(c->ssl); }
static int h2k_init_finished(h2k_conn *c) { return SSL_is_init_finished(c->ssl); }

// h2k_state is what ConnectionState reads from libssl.
typedef struct {
	int version;
	int cipher;
	int reused;
	const unsigned char *alpn;
	unsigned int alpn_len;
	const char *sni;
} h2k_state_t;

static void h2k_state(h2k_conn *c, h2k_state_t *st) {
	const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);
	st->version = SSL_version(c->ssl);
	st->cipher = ci ? (int)(SSL_CIPHER_get_protocol_id(ci) & 0xffff) : 0;
	st->reused = SSL_session_reused(c->ssl);
	SSL_get0_alpn_selected(c->ssl, &st->alpn, &st->alpn_len);
	st->sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
}

// h2k_finished copies the first Finished message of the last handshake
// (tls-unique, RFC 5929 §3.1): the client's, unless the session was resumed.
static int h2k_finished(h2k_conn *c, int server, unsigned char *buf, int n) {
	int clientFirst = !SSL_session_reused(c->ssl);
	if ((server != 0) == clientFirst) {
		return (int)SSL_get_peer_finished(c->ssl, buf, n);
	}
	return (int)SSL_get_finished(c->ssl, buf, n);
}

// h2k_chain_len and h2k_chain_der give the certificates the peer sent to
// the verification callback: index -1 is the leaf, 0.. the untrusted chain
// as received (which may repeat the leaf). *out is freed with h2k_free_der.
static int h2k_chain_len(X509_STORE_CTX *sctx) {
	STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(sctx);
	return sk ? sk_X509_num(sk) : 0;
}

static int h2k_chain_der(X509_STORE_CTX *sctx, int i, unsigned char **out) {
	X509 *x = i < 0 ? X509_STORE_CTX_get0_cert(sctx) : sk_X509_value(X509_STORE_CTX_get0_untrusted(sctx), i);
	*out = NULL;
	return x ? i2d_X509(x, out) : 0;
}

static void h2k_free_der(unsigned char *p) { OPENSSL_free(p); }

static void h2k_verify_failed(X509_STORE_CTX *sctx) {
	X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_UNTRUSTED);
}
*/
import "C"

import (
	"errors"
	"runtime/cgo"
	"strconv"
	"unsafe"
)

// errLen is the size of the buffer for libssl's error messages.
const errLen = 512

// sslError is an error of libssl, with the reasons from its error queue.
type sslError struct {
	code int // SSL_get_error's
	msg  string
}

func (e *sslError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	switch e.code {
	case C.SSL_ERROR_SYSCALL:
		return "connection closed during the TLS exchange"
	case C.SSL_ERROR_ZERO_RETURN:
		return "close_notify received"
	}
	return "libssl error " + strconv.Itoa(e.code)
}

// cConn owns the C objects of one Conn. It is also the argument of the
// runtime cleanup that frees them when a Conn is dropped without Close,
// so it must not point back to the Conn.
type cConn struct {
	p      *C.h2k_conn
	handle cgo.Handle // the *verifier the verification callback sees
}

func (cc *cConn) free() {
	C.h2k_free(cc.p)
	cc.handle.Delete()
}

// freeCConn is the runtime cleanup of a Conn that was not closed.
func freeCConn(cc *cConn) { cc.free() }

func cMsg(b []C.char) string { return C.GoString(&b[0]) }

// newCConn builds the SSL_CTX and SSL of one connection.
func newCConn(server bool, cfg *Config, v *verifier, minv, maxv uint16) (*cConn, error) {
	var msg [errLen]C.char
	h := cgo.NewHandle(v)
	p := C.h2k_new(cbool(server), C.int(minv), C.int(maxv), C.uintptr_t(h), &msg[0], errLen)
	if p == nil {
		h.Delete()
		return nil, errors.New("tlsossl: SSL_CTX: " + cMsg(msg[:]))
	}
	cc := &cConn{p: p, handle: h}
	fail := func(what string) (*cConn, error) {
		cc.free()
		return nil, errors.New("tlsossl: " + what + ": " + cMsg(msg[:]))
	}
	if cert := cfg.certificate(); cert != nil {
		for i, der := range cert.Certificate {
			if C.h2k_use_cert(p, (*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)), cbool(i == 0), &msg[0], errLen) == 0 {
				return fail("certificate")
			}
		}
		key, err := marshalKey(cert.PrivateKey)
		if err != nil {
			cc.free()
			return nil, err
		}
		if C.h2k_use_key(p, (*C.uchar)(unsafe.Pointer(&key[0])), C.long(len(key)), &msg[0], errLen) == 0 {
			return fail("private key")
		}
	}
	if wire, err := alpnWire(cfg.NextProtos); err != nil {
		cc.free()
		return nil, err
	} else if len(wire) > 0 {
		if C.h2k_set_alpn(p, (*C.uchar)(unsafe.Pointer(&wire[0])), C.uint(len(wire)), cbool(server)) == 0 {
			return fail("ALPN")
		}
	}
	var sni *C.char
	if !server && cfg.ServerName != "" && !isIP(cfg.ServerName) {
		sni = C.CString(cfg.ServerName)
		defer C.free(unsafe.Pointer(sni))
	}
	if C.h2k_start(p, cbool(server), sni, &msg[0], errLen) == 0 {
		return fail("SSL")
	}
	return cc, nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// op runs one libssl operation on buf (may be empty).
func (cc *cConn) op(op C.int, buf []byte) (int, error) {
	var msg [errLen]C.char
	var code C.int
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	r := C.h2k_op(cc.p, op, p, C.int(len(buf)), &code, &msg[0], errLen)
	if code != 0 {
		return int(r), &sslError{code: int(code), msg: cMsg(msg[:])}
	}
	return int(r), nil
}

// renegotiate starts a renegotiation (see h2k_renegotiate).
func (cc *cConn) renegotiate(require bool) error {
	var msg [errLen]C.char
	var code C.int
	C.h2k_renegotiate(cc.p, cbool(require), &code, &msg[0], errLen)
	if code != 0 && code != C.SSL_ERROR_WANT_READ {
		return &sslError{code: int(code), msg: cMsg(msg[:])}
	}
	return nil
}

// feed gives libssl bytes read from the network (a memory BIO takes all).
func (cc *cConn) feed(p []byte) {
	if len(p) > 0 {
		C.h2k_feed(cc.p, unsafe.Pointer(&p[0]), C.int(len(p)))
	}
}

// take appends what libssl wants sent to out.
func (cc *cConn) take(out []byte) []byte {
	for {
		n := int(C.h2k_pending(cc.p))
		if n <= 0 {
			return out
		}
		l := len(out)
		out = append(out, make([]byte, n)...)
		r := int(C.h2k_take(cc.p, unsafe.Pointer(&out[l]), C.int(n)))
		if r <= 0 {
			return out[:l]
		}
		out = out[:l+r]
	}
}

// unread is how many bytes fed to libssl it has not yet taken in.
func (cc *cConn) unread() int { return int(C.h2k_unread(cc.p)) }

func (cc *cConn) renegPending() bool { return C.h2k_reneg_pending(cc.p) != 0 }
func (cc *cConn) secureReneg() bool  { return C.h2k_secure_reneg(cc.p) != 0 }
func (cc *cConn) version() uint16    { return uint16(C.h2k_version(cc.p)) }
func (cc *cConn) initFinished() bool { return C.h2k_init_finished(cc.p) != 0 }

// state reads the negotiated parameters.
type sslState struct {
	version, cipher uint16
	reused          bool
	alpn, sni       string
	finished        []byte
}

func (cc *cConn) state(server bool) sslState {
	var st C.h2k_state_t
	C.h2k_state(cc.p, &st)
	s := sslState{version: uint16(st.version), cipher: uint16(st.cipher), reused: st.reused != 0}
	if st.alpn_len > 0 {
		s.alpn = C.GoStringN((*C.char)(unsafe.Pointer(st.alpn)), C.int(st.alpn_len))
	}
	if st.sni != nil {
		s.sni = C.GoString(st.sni)
	}
	var fin [64]byte
	if n := int(C.h2k_finished(cc.p, cbool(server), (*C.uchar)(unsafe.Pointer(&fin[0])), C.int(len(fin)))); n > 0 && n <= len(fin) {
		s.finished = append([]byte(nil), fin[:n]...)
	}
	return s
}

// peerChain returns the DER certificates the peer sent, leaf first,
// during the verification callback.
func peerChain(sctx *C.X509_STORE_CTX) [][]byte {
	der := func(i int) []byte {
		var p *C.uchar
		n := C.h2k_chain_der(sctx, C.int(i), &p)
		if n <= 0 || p == nil {
			return nil
		}
		defer C.h2k_free_der(p)
		return C.GoBytes(unsafe.Pointer(p), n)
	}
	leaf := der(-1)
	if leaf == nil {
		return nil
	}
	out := [][]byte{leaf}
	for i := range int(C.h2k_chain_len(sctx)) {
		if d := der(i); d != nil && string(d) != string(leaf) {
			out = append(out, d)
		}
	}
	return out
}

func verifyFailed(sctx *C.X509_STORE_CTX) { C.h2k_verify_failed(sctx) }

// The operations of h2k_op and the SSL_get_error codes Go looks at.
const (
	opHandshake   = C.H2K_HANDSHAKE
	opRead        = C.H2K_READ
	opWrite       = C.H2K_WRITE
	opShutdown    = C.H2K_SHUTDOWN
	errWantRead   = C.SSL_ERROR_WANT_READ
	errZeroReturn = C.SSL_ERROR_ZERO_RETURN
)
