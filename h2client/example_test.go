package h2client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/h2client"
)

// HTTP/2 over TLS: ALPN "h2", with HTTP/1.1 through the standard library
// for servers that do not speak HTTP/2.
func Example() {
	client := &http.Client{Transport: &h2client.Transport{}, Timeout: 10 * time.Second}
	resp, err := client.Get("https://example.org/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Proto, resp.Status, len(body))
}

// Cleartext HTTP/2 (h2c): by prior knowledge, or by upgrading the first
// HTTP/1.1 request.
func ExampleTransport_h2c() {
	prior := &http.Client{Transport: &h2client.Transport{AllowHTTP: true}}
	upgrade := &http.Client{Transport: &h2client.Transport{UpgradeH2C: true}}
	for _, c := range []*http.Client{prior, upgrade} {
		resp, err := c.Get("http://localhost:8080/")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.Proto) // HTTP/1.1 if the server ignored the Upgrade
	}
}

// Server push: promised responses go to PushHandler (push is refused
// when it is nil); AcceptPush can refuse some.
func ExampleTransport_push() {
	tr := &h2client.Transport{
		AcceptPush: func(req *http.Request) bool {
			return req.URL.Path != "/ads.js"
		},
		PushHandler: func(req *http.Request, resp *http.Response) {
			defer resp.Body.Close() // closing unread cancels the push
			b, _ := io.ReadAll(resp.Body)
			fmt.Println("pushed", req.URL, resp.Status, len(b))
		},
	}
	resp, err := (&http.Client{Transport: tr}).Get("https://localhost:8443/index.html")
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// RFC 9218 priorities: the priority header field is sent as is, and a
// request in flight can be re-prioritized.
func ExampleWithPriorityHandle() {
	client := &http.Client{Transport: &h2client.Transport{}}
	ctx, prio := h2client.WithPriorityHandle(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://localhost:8443/big.jpg", nil)
	req.Header.Set("Priority", "u=5, i")
	go func() {
		time.Sleep(100 * time.Millisecond) // the image scrolled into view
		prio.Update(h2kit.Priority{Urgency: 1})
	}()
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
