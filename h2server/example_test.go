package h2server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/h2kit/h2kit/h2server"
)

// One cleartext port for HTTP/1.1, h2c Upgrade and h2c with prior
// knowledge.
func ExampleServer_ServeH2C() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s says hello", r.Proto)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &h2server.Server{Handler: handler}
	hs := &http.Server{Handler: handler} // serves the HTTP/1.1 requests
	go srv.ServeH2C(l, hs)
	defer srv.Shutdown(context.Background())
	defer hs.Close()

	// net/http's client speaking HTTP/2 with prior knowledge.
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Get("http://" + l.Addr().String() + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Proto, string(body))

	// A plain HTTP/1.1 client on the same port.
	res, err = http.Get("http://" + l.Addr().String() + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Proto, string(body))
	// Output:
	// HTTP/2.0 HTTP/2.0 says hello
	// HTTP/1.1 HTTP/1.1 says hello
}

// HTTP/2 over TLS on an http.Server: clients that offer "h2" get HTTP/2,
// the others HTTP/1.1.
func ExampleConfigureServer() {
	hs := &http.Server{
		Addr: ":8443",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := w.(http.Pusher); ok && r.URL.Path == "/" {
				p.Push("/style.css", nil) // http.ErrNotSupported if the client disabled push
			}
			fmt.Fprintf(w, "hello over %s\n", r.Proto)
		}),
	}
	if err := h2server.ConfigureServer(hs, &h2server.Server{MaxConcurrentStreams: 100}); err != nil {
		log.Fatal(err)
	}
	log.Fatal(hs.ListenAndServeTLS("cert.pem", "key.pem"))
}

// H2C adds h2c Upgrade to an existing HTTP/1.1 server's handler.
func ExampleH2C() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	})
	hs := &http.Server{Addr: ":8080", Handler: h2server.H2C(mux, nil)}
	log.Fatal(hs.ListenAndServe())
}
