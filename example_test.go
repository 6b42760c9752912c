package h2kit_test

import (
	"fmt"
	"time"

	"github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/hpack"
)

// Example wires a client and a server engine to each other in memory: the
// client sends a request, the server answers with a body. A real program
// moves the same bytes over a socket (see internal/connloop).
func Example() {
	now := time.Now()
	client := h2kit.NewConn(h2kit.Config{Role: h2kit.Client}, now)
	server := h2kit.NewConn(h2kit.Config{Role: h2kit.Server}, now)

	// handle runs each side's application on its events.
	handle := func(c *h2kit.Conn) {
		for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
			switch e := ev.(type) {
			case *h2kit.RequestReceived:
				fmt.Println("server: request for", field(e.Fields, ":path"))
				c.SendHeaders(e.StreamID, []hpack.Field{
					{Name: ":status", Value: "200"},
					{Name: "content-type", Value: "text/plain"},
				}, false)
				c.SendData(e.StreamID, []byte("hello, world"), true)
			case *h2kit.ResponseReceived:
				fmt.Println("client: status", field(e.Fields, ":status"))
			case *h2kit.DataReceived:
				fmt.Printf("client: body %q, end of stream %v\n", e.Data, e.EndStream)
				c.ConsumeData(e.StreamID, len(e.Data))
			}
		}
	}
	// run moves bytes between the engines until both are quiet.
	var buf []byte
	run := func() {
		for client.WantWrite() || server.WantWrite() {
			buf = client.AppendOutgoing(buf[:0])
			server.Receive(buf, now)
			handle(server)
			buf = server.AppendOutgoing(buf[:0])
			client.Receive(buf, now)
			handle(client)
		}
	}

	id, err := client.SendRequest([]hpack.Field{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "example.com"},
		{Name: ":path", Value: "/hello"},
	}, true)
	if err != nil {
		panic(err)
	}
	run()
	fmt.Println("stream", id, client.State(id))
	// Output:
	// server: request for /hello
	// client: status 200
	// client: body "hello, world", end of stream true
	// stream 1 closed
}

func field(fs []hpack.Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
