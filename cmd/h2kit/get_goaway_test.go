package main

// Tests of a request cut by a server's graceful shutdown (issue 14 bug
// 3): the GOAWAY, its debug data and the failed retry are reported, and
// -v shows the retry.

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	xhpack "golang.org/x/net/http2/hpack"
)

// goAwayServer is a server that shuts down at the first request: it stops
// listening, then sends GOAWAY processing no stream, with debug data, then
// the connection closes. It returns the URL of a page. (Stopping to listen
// first keeps a quick retry from reaching the listener's backlog just
// before it closes: that connection would be reset, not refused.)
func goAwayServer(t *testing.T) (url, addr string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveScripted(t, l, 1, func(fr *http2.Framer, _ *xhpack.Encoder, _ *bytes.Buffer, ids []uint32) {
		l.Close()
		fr.WriteGoAway(0, http2.ErrCodeNo, []byte("shutting down"))
		time.Sleep(50 * time.Millisecond)
	})
	return "http://" + l.Addr().String() + "/page", l.Addr().String()
}

// h2client sends the request again on a new connection, which is
// refused: the error says what happened.
func TestGetGoAwayThenRefused(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		url, addr := goAwayServer(t)
		args := []string{url}
		if verbose {
			args = []string{"-v", url}
		}
		var out, errs bytes.Buffer
		code := runGet(args, &out, &errs)
		if code != 1 {
			t.Fatalf("%q: exit %d\nstderr:\n%s", args, code, errs.String())
		}
		stderr := errs.String()
		want := `h2kit get: GET ` + url + `: the server sent GOAWAY with NO_ERROR (last_stream_id=0, "shutting down") without processing the request; sent again, it failed: `
		mustContain(t, "stderr", stderr, want, "connection refused")
		if strings.Count(stderr, "h2kit get:") != 1 {
			t.Errorf("%q: want one error line:\n%s", args, stderr)
		}
		if verbose {
			mustContain(t, "-v trace", stderr, "recv GOAWAY frame", "shutting down",
				"] GET "+url+": the server sent GOAWAY with NO_ERROR (last_stream_id=0, \"shutting down\") without processing the request; sending it again\n",
				"] Could not connect to "+addr+": ")
		}
	}
}
