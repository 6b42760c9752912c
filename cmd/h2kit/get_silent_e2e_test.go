package main

// End-to-end tests of h2kit get against a server that accepts the TCP
// connection and never says anything: get must not hang, and must say
// the server stopped answering.

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// silentListener accepts connections on loopback and never writes to
// them; they are closed at the end of the test.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// TestGetE2ESilentServer: get, without --timeout, gives up on a server
// that never sends its SETTINGS (h2c) or never answers the TLS handshake,
// after --connect-timeout (by default 10s), exits with status 1 and says
// the server stopped answering.
func TestGetE2ESilentServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		// The default --connect-timeout.
		{"h2c default", []string{"-n", "http://%s/"}, []string{"stopped answering", "no SETTINGS within 10s"}},
		{"tls", []string{"-n", "-k", "--connect-timeout", "1s", "https://%s/"}, []string{"stopped answering", "no TLS handshake within 1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := h2kitBinary(t)
			addr := silentListener(t)
			args := append([]string{"get"}, tc.args...)
			args[len(args)-1] = strings.Replace(args[len(args)-1], "%s", addr, 1)
			// Bounded well above 10s: a hang fails the test instead of
			// holding it.
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("h2kit %q still runs after 40s; stderr:\n%s", args, errb.String())
			}
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("h2kit %q: %v, want exit status 1; stderr:\n%s", args, err, errb.String())
			}
			t.Logf("stderr: %s", errb.String())
			mustContain(t, "stderr", errb.String(), append(tc.want, addr)...)
			if n := strings.Count(errb.String(), "\n"); n != 1 {
				t.Errorf("%d lines on stderr, want 1", n)
			}
			if strings.Contains(errb.String(), "NO_ERROR") {
				t.Errorf("stderr reads NO_ERROR")
			}
		})
	}
}

// TestParseGetConnectTimeout: --connect-timeout defaults to 10s.
func TestParseGetConnectTimeout(t *testing.T) {
	o, err := parseGetArgs([]string{"http://x/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.connectTimeout != 10*time.Second {
		t.Errorf("default --connect-timeout %v", o.connectTimeout)
	}
	o, err = parseGetArgs([]string{"--connect-timeout", "2.5", "http://x/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.connectTimeout != 2500*time.Millisecond {
		t.Errorf("--connect-timeout 2.5: %v", o.connectTimeout)
	}
	if _, err := parseGetArgs([]string{"--connect-timeout", "0", "http://x/"}, nil); err == nil {
		t.Error("--connect-timeout 0 accepted")
	}
}
