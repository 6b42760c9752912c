package h2server_test

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/h2server"
)

// A handler for extended CONNECT (RFC 8441), the request WebSockets over
// HTTP/2 start with: it answers 200 at once and then echoes lines for as
// long as the client sends them, reading r.Body while it writes to w. A
// real WebSocket server runs its framing library over the same two
// streams (r.Body in, w with Flush out).
func ExampleServer_enableConnectProtocol() {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "websocket" {
			http.Error(w, "WebSocket over HTTP/2 only", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		rc.Flush() // the 200 goes out now, the stream stays open
		lines := bufio.NewScanner(r.Body)
		for lines.Scan() {
			fmt.Fprintf(w, "echo: %s\n", lines.Text())
			rc.Flush()
		}
		// Returning ends the server's side with END_STREAM.
	})
	srv := &h2server.Server{Handler: echo, EnableConnectProtocol: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l) // h2c with prior knowledge, to keep the example short
	defer srv.Close()

	// The client side, with h2client.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodConnect, "http://"+l.Addr().String()+"/chat", pr)
	req.Header.Set(":protocol", "websocket")
	tr := &h2client.Transport{AllowHTTP: true}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	in := bufio.NewReader(resp.Body)
	for _, msg := range []string{"hello", "world"} {
		io.WriteString(pw, msg+"\n")
		line, _ := in.ReadString('\n')
		fmt.Print(line)
	}
	pw.Close() // END_STREAM: the handler's scanner ends
	rest, _ := io.ReadAll(in)
	fmt.Printf("closed by the server: %q\n", strings.TrimSpace(string(rest)))
	// Output:
	// echo: hello
	// echo: world
	// closed by the server: ""
}
