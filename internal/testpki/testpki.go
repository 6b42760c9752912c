// Package testpki makes the certificates h2kit's tests use: a self-signed
// certificate for a loopback server, or a certificate authority and the
// server and client certificates it issues (for tests that verify a
// client certificate, such as TLS 1.2 renegotiation). Each certificate
// comes in the forms TLS stacks and external peers take: a
// tls.Certificate, the parsed *x509.Certificate, PEM, and files on disk.
//
// It is for _test.go files only: no row of the layer table in
// ARCHITECTURE.md lets a non-test package import it. Keys are ECDSA P-256;
// certificates are valid from an hour ago for a day. Server certificates
// name localhost and 127.0.0.1.
//
// The constructors panic if a key cannot be generated or a certificate
// cannot be signed, which happens only when the system's random source
// fails, as httptest.NewServer panics when it cannot listen.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Organization is the organization (O) of every certificate's subject.
const Organization = "h2kit tests"

// Cert is a certificate with its private key.
type Cert struct {
	// TLS is the certificate chain (this certificate, then its issuer's
	// when it is not self-signed) with the key and Leaf set, for
	// tls.Config's Certificates.
	TLS tls.Certificate
	// Leaf is this certificate, parsed.
	Leaf *x509.Certificate
	// CertPEM is TLS's chain as PEM CERTIFICATE blocks, this certificate
	// first.
	CertPEM []byte
	// KeyPEM is the private key as a PEM PRIVATE KEY block (PKCS #8).
	KeyPEM []byte
}

// Pool returns a new pool that trusts c: the pool a client (or a server
// asking for client certificates) needs to accept c when c is self-signed,
// or the certificates c issued when c is a CA.
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}

// WriteFiles writes CertPEM to dir/name.pem and KeyPEM to dir/name.key,
// for peers that read certificates from files (openssl, curl, node, the
// h2kit tools), and returns the two paths.
func (c *Cert) WriteFiles(dir, name string) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// CA is a certificate authority: a self-signed CA certificate whose key
// signs the certificates Issue makes. Its Pool trusts what it issues.
type CA struct {
	Cert
}

// NewCA returns a new CA whose subject's common name is cn.
func NewCA(cn string) *CA {
	tmpl := template(cn)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign
	return &CA{Cert: *create(tmpl, nil)}
}

// Issue returns a certificate for usage (x509.ExtKeyUsageServerAuth or
// x509.ExtKeyUsageClientAuth) signed by ca, with common name cn. A server
// certificate names localhost and 127.0.0.1. Its TLS chain holds ca's
// certificate after its own, so that a peer sees the whole chain.
func (ca *CA) Issue(cn string, usage x509.ExtKeyUsage) *Cert {
	tmpl := template(cn)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	if usage == x509.ExtKeyUsageServerAuth {
		loopbackNames(tmpl)
	}
	return create(tmpl, &ca.Cert)
}

// SelfSigned returns a self-signed certificate for usage with common name
// cn; a server certificate names localhost and 127.0.0.1. It is marked as
// a CA (basic constraints, cert-sign key usage) so that every TLS stack,
// libssl included, accepts it as its own trust anchor.
func SelfSigned(cn string, usage x509.ExtKeyUsage) *Cert {
	tmpl := template(cn)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	if usage == x509.ExtKeyUsageServerAuth {
		loopbackNames(tmpl)
	}
	return create(tmpl, nil)
}

var (
	localhostOnce sync.Once
	localhost     *Cert
)

// Localhost returns a self-signed server certificate for localhost and
// 127.0.0.1 (common name "h2kit test"), made once per process and shared
// by every caller: the certificate of a test's loopback servers when the
// test needs no CA of its own. Callers must not modify it.
func Localhost() *Cert {
	localhostOnce.Do(func() { localhost = SelfSigned("h2kit test", x509.ExtKeyUsageServerAuth) })
	return localhost
}

// PKI is a CA with a server certificate and a client certificate it
// issued, for tests where the server verifies the client.
type PKI struct {
	CA *CA
	// Server is for localhost and 127.0.0.1, common name "localhost".
	Server *Cert
	// Client has the common name "<name> client".
	Client *Cert
}

// NewPKI returns a new PKI whose CA's common name is "<name> CA". Two
// PKIs share no trust: a certificate of one does not verify in the
// other's CA.Pool.
func NewPKI(name string) *PKI {
	ca := NewCA(name + " CA")
	return &PKI{
		CA:     ca,
		Server: ca.Issue("localhost", x509.ExtKeyUsageServerAuth),
		Client: ca.Issue(name+" client", x509.ExtKeyUsageClientAuth),
	}
}

// template is what every certificate has: a random serial number, the
// subject, and the validity period.
func template(cn string) *x509.Certificate {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("testpki: serial number: " + err.Error())
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{Organization}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
}

// loopbackNames makes tmpl a certificate for localhost and 127.0.0.1.
func loopbackNames(tmpl *x509.Certificate) {
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
}

// create makes a new key and a certificate for it from tmpl, signed by
// issuer, or self-signed when issuer is nil.
func create(tmpl *x509.Certificate, issuer *Cert) *Cert {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("testpki: key: " + err.Error())
	}
	parent, signer := tmpl, crypto.Signer(key)
	if issuer != nil {
		parent, signer = issuer.Leaf, issuer.TLS.PrivateKey.(crypto.Signer)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		panic("testpki: certificate: " + err.Error())
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic("testpki: parsing the new certificate: " + err.Error())
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic("testpki: key: " + err.Error())
	}
	c := &Cert{
		TLS:    tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Leaf:   leaf,
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
	if issuer != nil {
		c.TLS.Certificate = append(c.TLS.Certificate, issuer.TLS.Certificate...)
	}
	for _, d := range c.TLS.Certificate {
		c.CertPEM = append(c.CertPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return c
}
