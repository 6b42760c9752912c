//go:build h2kit_openssl && cgo

package tlsossl

/*
#include <stdint.h>
#include <openssl/x509.h>
*/
import "C"

import (
	"crypto/x509"
	"errors"
	"fmt"
	"runtime/cgo"
	"time"
)

// verifier is the verification state of one Conn, reached from libssl's
// callback through a cgo.Handle. The callback runs inside a libssl call,
// that is with the Conn's mutex held, which guards these fields too.
type verifier struct {
	server bool
	cfg    *Config
	// peer and chains are the certificates of the last verified handshake.
	peer   []*x509.Certificate
	chains [][]*x509.Certificate
	// err is why the last verification failed.
	err error
}

// h2kitVerifyPeer replaces libssl's certificate verification
// (SSL_CTX_set_cert_verify_callback): the chain the peer sent is parsed
// and verified with crypto/x509. It returns 1 to accept, 0 to fail the
// handshake (libssl then sends the alert).
//
//export h2kitVerifyPeer
func h2kitVerifyPeer(handle C.uintptr_t, sctx *C.X509_STORE_CTX) C.int {
	v := cgo.Handle(handle).Value().(*verifier)
	peer, chains, err := v.verify(peerChain(sctx))
	if err != nil {
		v.err = err
		verifyFailed(sctx)
		return 0
	}
	v.peer, v.chains, v.err = peer, chains, nil
	return 1
}

// verify parses and verifies the peer's DER chain, leaf first.
func (v *verifier) verify(ders [][]byte) ([]*x509.Certificate, [][]*x509.Certificate, error) {
	who := "server"
	if v.server {
		who = "client"
	}
	if len(ders) == 0 {
		return nil, nil, fmt.Errorf("tlsossl: the %s sent no certificate", who)
	}
	certs := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, nil, fmt.Errorf("tlsossl: the %s's certificate: %w", who, err)
		}
		certs = append(certs, c)
	}
	if !v.server && v.cfg.InsecureSkipVerify {
		return certs, nil, nil
	}
	opts := x509.VerifyOptions{
		Intermediates: x509.NewCertPool(),
		CurrentTime:   time.Now(),
	}
	if v.cfg.Time != nil {
		opts.CurrentTime = v.cfg.Time()
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if v.server {
		if v.cfg.ClientCAs == nil {
			return nil, nil, errors.New("tlsossl: client certificate received but Config.ClientCAs is nil")
		}
		opts.Roots = v.cfg.ClientCAs
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		opts.Roots = v.cfg.RootCAs
		opts.DNSName = v.cfg.ServerName
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsossl: the %s's certificate does not verify: %w", who, err)
	}
	return certs, chains, nil
}
