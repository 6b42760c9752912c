package h2client_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/h2server"
)

// An extended CONNECT (RFC 8441), as WebSockets over HTTP/2 open their
// stream: the request body is a pipe written while the response body is
// read. A server that did not enable the protocol is refused with
// ErrExtendedConnectDisabled before anything is sent.
func ExampleTransport_extendedConnect() {
	// A server that echoes an extended CONNECT stream (h2c on loopback).
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		buf := make([]byte, 1024)
		for {
			n, err := r.Body.Read(buf)
			w.Write(buf[:n])
			w.(http.Flusher).Flush()
			if err != nil {
				return
			}
		}
	})
	var servers []*h2server.Server
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	serve := func(enable bool) string {
		srv := &h2server.Server{Handler: echo, EnableConnectProtocol: enable}
		servers = append(servers, srv)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go srv.Serve(l)
		return "http://" + l.Addr().String()
	}
	tr := &h2client.Transport{AllowHTTP: true}
	defer tr.CloseIdleConnections()
	open := func(base string) (*http.Response, *io.PipeWriter, error) {
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(http.MethodConnect, base+"/ws", pr)
		req.Header.Set(":protocol", "websocket")
		resp, err := tr.RoundTrip(req)
		return resp, pw, err
	}

	resp, pw, err := open(serve(true))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	pw.Write([]byte("ping"))
	got := make([]byte, 4)
	io.ReadFull(resp.Body, got)
	fmt.Printf("%s\n", got)
	pw.Close()
	resp.Body.Close()

	_, _, err = open(serve(false))
	fmt.Println(errors.Is(err, h2client.ErrExtendedConnectDisabled))
	// Output:
	// 200 OK
	// ping
	// true
}
