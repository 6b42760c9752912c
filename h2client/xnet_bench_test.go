//lint:file-ignore SA1019 golang.org/x/net/http2 (and its h2c) is the reference peer of the tests

package h2client

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"

	"golang.org/x/net/http2"
)

// BenchmarkRoundTripXNet is the reference: golang.org/x/net's HTTP/2
// client against the same lean server.
func BenchmarkRoundTripXNet(b *testing.B) {
	base := leanServer(b)
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	b.Cleanup(tr.CloseIdleConnections)
	req, _ := http.NewRequest("GET", base+"/path", nil)
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		resp.Body.Close()
	}
}
