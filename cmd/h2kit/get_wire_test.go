package main

// Tests of -i and -D printing header blocks as they arrived (issue 14
// bug 2): every field, "trailer" included, in the order of the wire, each
// response's own blocks when several share a connection.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	xhpack "golang.org/x/net/http2/hpack"
)

// scriptedH2Server serves h2c with prior knowledge on loopback. Each
// connection collects batch requests (HEADERS frames), then calls answer
// with their stream IDs in the order they came; answer writes with fr
// and enc (one HPACK encoder per connection). It returns the address.
func scriptedH2Server(t *testing.T, batch int, answer func(fr *http2.Framer, enc *xhpack.Encoder, hb *bytes.Buffer, ids []uint32)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveScripted(t, l, batch, answer)
	return l.Addr().String()
}

// serveScripted is scriptedH2Server on l, which it closes at the end of
// the test.
func serveScripted(t *testing.T, l net.Listener, batch int, answer func(fr *http2.Framer, enc *xhpack.Encoder, hb *bytes.Buffer, ids []uint32)) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				preface := make([]byte, len(http2.ClientPreface))
				if _, err := io.ReadFull(c, preface); err != nil {
					return
				}
				fr := http2.NewFramer(c, c)
				var hb bytes.Buffer
				enc := xhpack.NewEncoder(&hb)
				fr.WriteSettings()
				var ids []uint32
				for {
					f, err := fr.ReadFrame()
					if err != nil {
						return
					}
					switch f := f.(type) {
					case *http2.SettingsFrame:
						if !f.IsAck() {
							fr.WriteSettingsAck()
						}
					case *http2.GoAwayFrame:
						return
					case *http2.HeadersFrame:
						ids = append(ids, f.StreamID)
						if len(ids) == batch {
							answer(fr, enc, &hb, ids)
							ids = nil
						}
					}
				}
			}()
		}
	}()
}

// writeBlock writes one header block on stream id.
func writeBlock(fr *http2.Framer, enc *xhpack.Encoder, hb *bytes.Buffer, id uint32, end bool, fields ...string) {
	hb.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		enc.WriteField(xhpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: end})
}

// answerUnsorted answers the requests last first: an informational
// response, header fields out of alphabetical order with a "trailer"
// field and a repeated name, the body "stream N", and trailers.
func answerUnsorted(fr *http2.Framer, enc *xhpack.Encoder, hb *bytes.Buffer, ids []uint32) {
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		n := fmt.Sprint(id)
		writeBlock(fr, enc, hb, id, false, ":status", "103", "link", "</a.css>; rel=preload")
		writeBlock(fr, enc, hb, id, false, ":status", "200", "zeta", n, "trailer", "x-sum", "alpha", "1",
			"content-type", "text/plain", "zeta", "again", "x-stream", n)
		fr.WriteData(id, false, []byte("stream "+n+"\n"))
		writeBlock(fr, enc, hb, id, true, "x-sum", n, "x-more", "last")
	}
}

// wantBlock is what -i and -D print for the response on stream N.
func wantBlock(n string) string {
	return ":status: 103\nlink: </a.css>; rel=preload\n\n" +
		":status: 200\nzeta: " + n + "\ntrailer: x-sum\nalpha: 1\ncontent-type: text/plain\nzeta: again\nx-stream: " + n + "\n"
}

func TestGetWireOrderInclude(t *testing.T) {
	addr := scriptedH2Server(t, 3, answerUnsorted)
	var out, errs bytes.Buffer
	code := runGet([]string{"-i", "-m", "3", "http://" + addr + "/x"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	// Three records, each with its own stream's blocks around its body.
	re := regexp.MustCompile(`(?s)(:status: 103\n.*?\n\n:status: 200\n.*?\n\n)stream (\d+)\nx-sum: (\d+)\nx-more: last\n`)
	recs := re.FindAllStringSubmatch(out.String(), -1)
	if len(recs) != 3 {
		t.Fatalf("want 3 responses:\n%s", out.String())
	}
	for _, m := range recs {
		if m[1] != wantBlock(m[2])+"\n" || m[3] != m[2] {
			t.Errorf("response of stream %s:\n%s\nwant header section\n%s", m[2], m[0], wantBlock(m[2]))
		}
	}
	if got := strings.Count(out.String(), "stream "); got != 3 {
		t.Errorf("%d bodies:\n%s", got, out.String())
	}
}

func TestGetWireOrderDumpHeader(t *testing.T) {
	addr := scriptedH2Server(t, 2, answerUnsorted)
	file := filepath.Join(t.TempDir(), "headers")
	var out, errs bytes.Buffer
	code := runGet([]string{"-D", file, "http://" + addr + "/a", "http://" + addr + "/b"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The bodies name the streams in the order of the URLs: each -D
	// record is its own stream's, in the same order.
	var want strings.Builder
	for _, m := range regexp.MustCompile(`stream (\d+)\n`).FindAllStringSubmatch(out.String(), -1) {
		want.WriteString(wantBlock(m[1]) + "x-sum: " + m[1] + "\nx-more: last\n\n")
	}
	if want.Len() == 0 || string(b) != want.String() {
		t.Errorf("-D file:\n%s\nwant:\n%s", b, want.String())
	}
}

// With -u, the Upgrade request's response (stream 1) is printed as it
// arrived too; -v traces the same frames.
func TestGetWireOrderUpgrade(t *testing.T) {
	srv := startServe(t, "--h2c")
	var out, errs bytes.Buffer
	code := runGet([]string{"-v", "-u", "-i", srv.url + "/trailers", srv.url + "/trailers"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	mustContain(t, "-v trace", errs.String(), "HTTP Upgrade success", "recv (stream_id=1) trailer: ", "recv (stream_id=3) trailer: ")
	if n := strings.Count(out.String(), "\ntrailer: "); n != 2 {
		t.Errorf("%d trailer fields, want 2:\n%s", n, out.String())
	}
}
