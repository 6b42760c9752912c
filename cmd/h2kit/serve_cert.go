package main

// This file makes or loads the TLS certificate of serve.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// serveCertificate loads the certificate of certFile and keyFile, or
// makes a self-signed one when they are empty. It also returns lines that
// describe it: subject names and SHA-256 fingerprint.
func serveCertificate(certFile, keyFile string, now time.Time) (tls.Certificate, []string, error) {
	var cert tls.Certificate
	var err error
	kind := "self-signed, made at start (ECDSA P-256)"
	if certFile == "" {
		cert, err = selfSignedCert(now)
	} else {
		kind = "from " + certFile
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			err = fmt.Errorf("loading the certificate: %w", err)
		}
	}
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, nil, fmt.Errorf("parsing the certificate: %w", err)
		}
	}
	names := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = append(names, leaf.Subject.CommonName)
	}
	info := []string{
		fmt.Sprintf("certificate: %s, for %s, valid until %s", kind, strings.Join(names, ", "), leaf.NotAfter.UTC().Format(time.DateOnly)),
		"SHA-256 fingerprint: " + certFingerprint(cert.Certificate[0]),
	}
	return cert, info, nil
}

// selfSignedCert makes an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1, valid for 30 days from an hour before now.
func selfSignedCert(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"h2kit serve"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// certFingerprint is the SHA-256 of a DER certificate as colon-separated
// upper-case hex, as openssl x509 -fingerprint -sha256 shows it.
func certFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}
