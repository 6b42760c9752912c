package main

// h2spec against `h2kit serve` with its default settings: the demo site,
// whose page pushes its assets, answers h2spec's requests (h2server's own
// h2spec test uses a handler made for it; this one checks what a user
// runs). Skipped when h2spec is not installed, unless
// H2KIT_REQUIRE_PEERS=1.

import (
	"net/url"
	"os"
	"testing"

	"github.com/h2kit/h2kit/internal/testpeer"
)

// TestServeH2Spec runs h2spec against h2kit serve over TLS (-t -k) and h2c
// (prior knowledge), with and without --strict, and lists every case that
// failed.
func TestServeH2Spec(t *testing.T) {
	bin := testpeer.H2Spec(t)
	for _, mode := range []struct {
		name string
		args []string
	}{{"tls", nil}, {"h2c", []string{"--h2c"}}} {
		t.Run(mode.name, func(t *testing.T) {
			p := startServe(t, mode.args...)
			u, err := url.Parse(p.url)
			if err != nil {
				t.Fatal(err)
			}
			for _, strict := range []bool{false, true} {
				name := mode.name
				args := []string{"-h", u.Hostname(), "-p", u.Port(), "-o", "2"}
				if mode.name == "tls" {
					args = append(args, "-t", "-k")
				}
				if strict {
					name += "-strict"
					args = append(args, "--strict")
				}
				testpeer.RunH2Spec(t, bin, name, args)
			}
			if code := p.stop(t, os.Interrupt); code != 0 {
				t.Errorf("h2kit serve exited with %d\nstderr:\n%s", code, p.errb)
			}
		})
	}
}
