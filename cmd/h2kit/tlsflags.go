package main

// This file holds the TLS client options the tools share (-k, --cacert,
// --cert/--key, --keylog): `h2kit bench` and `h2kit get` build their TLS
// configurations with them.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// tlsOptions are the TLS flags of a client command.
type tlsOptions struct {
	insecure          bool   // -k: do not verify the server's certificate
	caCert            string // --cacert: PEM file of the CAs to trust instead of the system's
	certFile, keyFile string // --cert, --key: client certificate chain and key (PEM)
	keyLog            string // key log file (NSS format); empty: none
}

// keyLogPath is the key log file to use: the --keylog flag's value, or
// else $SSLKEYLOGFILE (empty when neither is set).
func keyLogPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv("SSLKEYLOGFILE")
}

// clientConfig returns the TLS configuration the options describe, and
// the key log file it opened (nil without one), which the caller closes
// once its connections are done. The key log is appended to, as browsers
// and curl do with $SSLKEYLOGFILE.
func (t tlsOptions) clientConfig() (*tls.Config, *os.File, error) {
	cfg := &tls.Config{InsecureSkipVerify: t.insecure} // -k, asked for by the user
	if t.caCert != "" {
		pem, err := os.ReadFile(t.caCert)
		if err != nil {
			return nil, nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--cacert %s: no PEM certificate in the file", t.caCert)
		}
		cfg.RootCAs = pool
	}
	if t.certFile != "" {
		cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	var keyLog *os.File
	if t.keyLog != "" {
		f, err := os.OpenFile(t.keyLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("key log: %w", err)
		}
		keyLog = f
		cfg.KeyLogWriter = f
	}
	return cfg, keyLog, nil
}
