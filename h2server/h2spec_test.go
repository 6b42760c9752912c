package h2server

import (
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// h2specHandler answers every request with a small body after reading
// the request's: h2spec needs a 200 with DATA for some cases.
var h2specHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "h2kit says hello\n")
})

// TestH2Spec runs h2spec against the server over TLS and h2c, with and
// without --strict. Skipped when h2spec is not installed, unless
// H2KIT_REQUIRE_PEERS=1.
func TestH2Spec(t *testing.T) {
	bin := testpeer.H2Spec(t)
	if testing.Short() {
		t.Skip("short mode")
	}
	for _, mode := range []struct {
		name   string
		tls    bool
		strict bool
	}{{"tls", true, false}, {"tls-strict", true, true}, {"h2c", false, false}, {"h2c-strict", false, true}} {
		t.Run(mode.name, func(t *testing.T) {
			s := &Server{Logger: discardLogger()}
			var addr string
			if mode.tls {
				addr = startTLS(t, h2specHandler, s)
			} else {
				addr = startH2C(t, h2specHandler, s)
			}
			_, port, _ := net.SplitHostPort(addr)
			args := []string{"-h", "127.0.0.1", "-p", port, "-o", "2"}
			if mode.tls {
				args = append(args, "-t", "-k")
			}
			if mode.strict {
				args = append(args, "-S")
			}
			testpeer.RunH2Spec(t, bin, mode.name, args)
		})
	}
}
