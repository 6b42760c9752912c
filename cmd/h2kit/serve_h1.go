package main

// This file holds the HTTP/1.1 origin of the demo site. The page's
// "Multiplexing, live" section sends the same 24 requests over HTTP/2
// and over HTTP/1.1, to show the difference. A browser uses one HTTP/2
// connection per origin, and negotiates HTTP/2 whenever the server
// offers it, so the HTTP/1.1 requests need another origin whose server
// offers only HTTP/1.1: while serving the demo, serve also listens on a
// port the system chooses, on the host of --addr, with the same
// certificate (ALPN "http/1.1" only) or cleartext with --h2c, and the
// same handler. The page finds it at /.h2kit/h1 ({"origin": URL}, with
// the host the page was loaded from) and fetches from it with CORS
// (Access-Control-Allow-Origin: *); each answer names its connection in
// an h2kit-conn field, so that the page can show the six connections a
// browser opens.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// serveH1Path is where the page finds the HTTP/1.1 origin.
const serveH1Path = "/.h2kit/h1"

// h1Origin is the HTTP/1.1-only server of the demo.
type h1Origin struct {
	scheme    string
	port      string
	srv       *http.Server
	listeners []net.Listener
	nextConn  atomic.Int64
}

// h1ConnKey is the context key of a connection's number on the origin.
type h1ConnKey struct{}

// startH1Origin listens on host:0 (host of addr) and serves h over
// HTTP/1.1 only: TLS with tlsConfig's certificates when it is not nil,
// else cleartext.
func startH1Origin(addr string, h http.Handler, tlsConfig *tls.Config, errLog *log.Logger) (*h1Origin, error) {
	host, _, _ := net.SplitHostPort(addr)
	ls, err := serveListen(net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("HTTP/1.1 origin of the demo: %w", err)
	}
	o := &h1Origin{scheme: "http", listeners: ls}
	o.port = strconv.Itoa(ls[0].Addr().(*net.TCPAddr).Port)
	protos := new(http.Protocols)
	protos.SetHTTP1(true)
	o.srv = &http.Server{
		Handler:           o.cors(h),
		Protocols:         protos,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		IdleTimeout:       serveIdleTimeout,
		ErrorLog:          errLog,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, h1ConnKey{}, o.nextConn.Add(1))
		},
	}
	if tlsConfig != nil {
		o.scheme = "https"
		o.srv.TLSConfig = &tls.Config{Certificates: tlsConfig.Certificates, NextProtos: []string{"http/1.1"}}
	}
	for _, l := range ls {
		go func() {
			if tlsConfig != nil {
				l = tls.NewListener(l, o.srv.TLSConfig)
			}
			o.srv.Serve(l) // ends with ErrServerClosed at close
		}()
	}
	return o, nil
}

// cors lets the demo page, on the other origin, read the answers and
// their timing, and names each answer's connection.
func (o *h1Origin) cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "h2kit-conn")
		hd.Set("Timing-Allow-Origin", "*")
		if n, ok := r.Context().Value(h1ConnKey{}).(int64); ok {
			hd.Set("h2kit-conn", strconv.FormatInt(n, 10))
		}
		h.ServeHTTP(w, r)
	})
}

// url returns the origin's URL for a page loaded from host (the page's
// Host: the same name, the origin's port).
func (o *h1Origin) url(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return o.scheme + "://" + net.JoinHostPort(host, o.port)
}

// close stops the origin, letting requests in flight finish for up to a
// second.
func (o *h1Origin) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if o.srv.Shutdown(ctx) != nil {
		o.srv.Close()
	}
}

// serveH1Where answers /.h2kit/h1 for a request to the main origin.
func (o *h1Origin) serveWhere(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{"origin": o.url(r.Host)})
}
