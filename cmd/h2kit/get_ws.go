package main

// This file runs `h2kit get --ws URL`: a WebSocket over HTTP/2 (RFC 8441
// extended CONNECT) on get's transport, so that -v traces its frames
// (the CONNECT's HEADERS, then the WebSocket frames in DATA frames both
// ways). Lines of standard input go out as text messages; every message
// received is printed on standard output, followed by a newline. At the
// end of the input the WebSocket is not closed at once: the library
// discards the messages that arrive after its close frame is sent (RFC
// 6455, Section 7.1.1 lets it), so answers still on their way would be
// lost. get first sends a ping and waits for its pong (a server that
// answers in order, as an echo does, has then sent all its answers to
// what came before), then until nothing has arrived for wsLinger, and
// closes (1000).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/h2kit/h2kit/h2client"
)

// wsMaxLine is the longest line of standard input sent as one message,
// and the largest message get --ws takes from the server.
const wsMaxLine = 1 << 20

// At the end of its input get --ws waits at most wsPongWait for the pong
// of its ping, then until nothing has arrived for wsLinger, before it
// closes the WebSocket.
const (
	wsPongWait = 10 * time.Second
	wsLinger   = 250 * time.Millisecond
)

// wsSchemes maps the WebSocket URL schemes to the HTTP ones RFC 8441
// requests carry in :scheme (Section 5: "https" for wss, "http" for ws).
var wsSchemes = map[string]string{"ws://": "http://", "wss://": "https://"}

// wsURL returns raw with ws:// or wss:// turned into http:// or https://.
func wsURL(raw string) string {
	for ws, h := range wsSchemes {
		if len(raw) >= len(ws) && strings.EqualFold(raw[:len(ws)], ws) {
			return h + raw[len(ws):]
		}
	}
	return raw
}

// checkWSOptions rejects what does not apply to --ws: one URL, no
// request body or method, no response files or assets.
func checkWSOptions(o *getOptions, set map[string]bool) error {
	if len(o.urls) != 1 {
		return fmt.Errorf("--ws opens one WebSocket: give one URL, not %d", len(o.urls))
	}
	if o.urls[0].Scheme == "http" && o.upgrade {
		return errors.New("--ws: -u does not apply (the WebSocket is an extended CONNECT on an HTTP/2 connection with prior knowledge)")
	}
	for _, name := range []string{"d", "data", "X", "method", "m", "multiply", "o", "output", "n", "null-out",
		"a", "get-assets", "i", "include", "D", "dump-header", "stat", "push-dir", "fail", "u", "upgrade"} {
		if set[name] {
			return fmt.Errorf("--ws: %s does not apply (standard input is sent as messages, the messages received are printed)", dashed(name))
		}
	}
	for _, f := range o.headers {
		if f.Name == ":method" {
			return errors.New("--ws: the method is CONNECT (RFC 8441): -H ':method' does not apply")
		}
	}
	return nil
}

// runWS opens the WebSocket of g's URL, sends the lines of in and prints
// what arrives; it returns whether all went well: the WebSocket opened,
// and closed with 1000 (normal closure) once the input ended, or by the
// server with 1000.
func (g *getter) runWS(in io.Reader) bool {
	u := g.o.urls[0]
	header := http.Header{}
	host := ""
	for _, f := range g.o.headers {
		switch f.Name {
		case ":authority", "host":
			host = f.Value
		default:
			header.Add(f.Name, f.Value)
		}
	}
	// The stream lives as long as ctx (h2client ties a request to its
	// context): the opening is bounded by --connect-timeout (connection,
	// TLS, SETTINGS and the answer to the CONNECT), -t bounds the run.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if g.o.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, g.o.timeout)
		defer cancel()
	}
	handshake := time.AfterFunc(g.o.connectTimeout, cancel)
	c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &wsH2Transport{rt: g.tr}},
		HTTPHeader: header,
		Host:       host,
	})
	handshakeExpired := !handshake.Stop()
	if err != nil {
		switch {
		case handshakeExpired && ctx.Err() != nil:
			err = fmt.Errorf("the WebSocket did not open within %v (--connect-timeout): no connection or no answer to its extended CONNECT", g.o.connectTimeout)
		default:
			err = g.wsDialError(err)
		}
		g.failf("%s: %s", u, userText(err))
		g.closeWS()
		return false
	}
	c.SetReadLimit(wsMaxLine)

	var last atomic.Int64 // when the last message arrived (UnixNano)
	last.Store(time.Now().UnixNano())
	readErr := make(chan error, 1)
	go func() { readErr <- g.wsPrint(ctx, c, &last) }()

	closeNormally := func() {
		// The pong comes after the answers to what was sent before the
		// ping (RFC 6455, Section 5.5.3, from a server that answers in
		// order); a server that does not answer pings costs wsPongWait.
		pctx, cancel := context.WithTimeout(ctx, wsPongWait)
		c.Ping(pctx)
		cancel()
		// Then until nothing arrived for wsLinger.
		for {
			quiet := time.Since(time.Unix(0, last.Load()))
			if quiet >= wsLinger {
				break
			}
			select {
			case <-time.After(wsLinger - quiet):
			case <-ctx.Done():
				return
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- wsSendLines(ctx, c, in, closeNormally) }()

	var err1, err2 error
	select {
	case err1 = <-readErr:
		// The server closed or the stream failed: stop sending. The
		// sender may be waiting for a line of input: not for it.
		c.CloseNow()
	case err2 = <-sendErr:
		if err2 != nil {
			c.CloseNow()
		}
		err1 = <-readErr
	}
	ok := true
	if msg := wsEndError(err1, err2); msg != "" {
		g.failf("%s: %s", u, msg)
		ok = false
	}
	g.closeWS()
	return ok
}

// wsSendLines sends each line of in as a text message, then calls
// closeNormally at the end of the input.
func wsSendLines(ctx context.Context, c *websocket.Conn, in io.Reader, closeNormally func()) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), wsMaxLine)
	for sc.Scan() {
		if err := c.Write(ctx, websocket.MessageText, sc.Bytes()); err != nil {
			return fmt.Errorf("sending: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		c.Close(websocket.StatusGoingAway, "input error")
		return fmt.Errorf("reading standard input: %w", err)
	}
	closeNormally()
	return nil
}

// wsPrint prints each message received, followed by a newline, until the
// WebSocket ends; it returns the end (a websocket.CloseError for a close
// frame). last is set to the time of each message.
func (g *getter) wsPrint(ctx context.Context, c *websocket.Conn, last *atomic.Int64) error {
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return err
		}
		last.Store(time.Now().UnixNano())
		if _, err := g.stdout.Write(append(msg, '\n')); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
	}
}

// wsEndError words how the WebSocket ended, or "" for a normal end: a
// close frame with 1000 from the server, or our own close answered.
func wsEndError(readErr, sendErr error) string {
	if sendErr != nil {
		return userText(sendErr)
	}
	var ce websocket.CloseError
	if errors.As(readErr, &ce) {
		if ce.Code == websocket.StatusNormalClosure {
			return ""
		}
		msg := fmt.Sprintf("the server closed the WebSocket with %d (%s)", int(ce.Code), wsCodeName(ce.Code))
		if ce.Reason != "" {
			msg += ": " + ce.Reason
		}
		return msg
	}
	if readErr == nil {
		return ""
	}
	return "the WebSocket ended without a close frame: " + userText(readErr)
}

// wsCodeName is the name of a close code (RFC 6455, Section 7.4.1).
func wsCodeName(code websocket.StatusCode) string {
	s := strings.TrimPrefix(code.String(), "Status")
	if strings.HasPrefix(s, "StatusCode(") {
		return "application code"
	}
	return s
}

// wsDialError words a failed WebSocket opening: the server did not enable
// extended CONNECT, answered it with another status than 2xx, or the
// request failed (worded as get words a request's failure).
func (g *getter) wsDialError(err error) error {
	var refused *wsRefusedError
	switch {
	case errors.Is(err, h2client.ErrExtendedConnectDisabled):
		// RFC 8441, Section 3: no :protocol before the server allowed it.
		return errors.New("the server does not take WebSockets over HTTP/2: its SETTINGS did not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, RFC 8441, Section 3)")
	case errors.As(err, &refused):
		return refused
	}
	// The library wraps the transport's error in its own words, and
	// http.Client in a *url.Error naming the library's GET: keep the
	// transport's.
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	u := g.o.urls[0]
	first, connected := g.dialer.firstBytes(h2Addr(u))
	return errors.New(requestError(u, false, inner, connected, first))
}

// closeWS closes the connection (GOAWAY) and waits a moment for it, so
// that -v shows its end.
func (g *getter) closeWS() {
	for deadline := time.Now().Add(getCloseWait); ; {
		g.tr.CloseIdleConnections()
		if g.dialer.waitClosed(10*time.Millisecond) || time.Now().After(deadline) {
			break
		}
	}
	g.closeFiles()
}
