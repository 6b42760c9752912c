// Command twin is the minimal server scripts/h2load-compare measures: two
// http.ServeMux routes, "/" answering 13 bytes and "/1m" 1 MiB from a
// shared slice, served by Go's net/http (-impl go) or by h2server
// (-impl h2kit), over h2c or TLS (-cert and -key).
//
//	go run ./scripts/twin -impl h2kit -addr 127.0.0.1:8080
//	go run ./scripts/twin -impl go -addr 127.0.0.1:8443 -cert c.pem -key k.pem
//
// With -cpuprofile FILE it writes a CPU profile of its run, stopped by
// SIGINT or SIGTERM, and with -memprofile FILE too a heap profile then.
package main

import (
	"bytes"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/h2kit/h2kit/h2server"
)

var (
	small = []byte("hello, world\n") // 13 bytes
	big   = bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
)

func main() {
	impl := flag.String("impl", "h2kit", "go (net/http) or h2kit (h2server)")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	cert := flag.String("cert", "", "TLS certificate (PEM); h2c without it")
	key := flag.String("key", "", "TLS key (PEM)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to FILE until SIGINT/SIGTERM")
	memprofile := flag.String("memprofile", "", "with -cpuprofile: write a heap profile to FILE at SIGINT/SIGTERM")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(small)
	})
	mux.HandleFunc("/1m", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(big)
	})

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		go func() {
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
			<-c
			pprof.StopCPUProfile()
			f.Close()
			if *memprofile != "" {
				if m, err := os.Create(*memprofile); err == nil {
					pprof.Lookup("heap").WriteTo(m, 0)
					m.Close()
				}
			}
			os.Exit(0)
		}()
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	tls := *cert != ""
	switch *impl {
	case "go":
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
		if tls {
			hs.Protocols.SetHTTP2(true)
			err = hs.ServeTLS(l, *cert, *key)
		} else {
			hs.Protocols.SetUnencryptedHTTP2(true)
			err = hs.Serve(l)
		}
	case "h2kit":
		srv := &h2server.Server{Handler: mux}
		if tls {
			if err = h2server.ConfigureServer(hs, srv); err == nil {
				err = hs.ServeTLS(l, *cert, *key)
			}
		} else {
			err = srv.ServeH2C(l, hs)
		}
	default:
		log.Fatalf("twin: -impl %q: go or h2kit", *impl)
	}
	log.Fatal(err)
}
