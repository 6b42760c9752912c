package h2client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	h2kit "github.com/h2kit/h2kit"
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// resetServer is a raw h2c server that resets each request with the code
// named by its path, /before/CODE (instead of a response) or /after/CODE
// (after the response head and a few body bytes).
func resetServer(t *testing.T) *rawServer {
	return startRawServer(t, h2kit.Config{}, func(c *rawConn, id uint32, fields []hpack.Field) {
		var path string
		for _, f := range fields {
			if f.Name == ":path" {
				path = f.Value
			}
		}
		var when string
		var code uint32
		if _, err := fmt.Sscanf(strings.ReplaceAll(path, "/", " "), "%s %d", &when, &code); err != nil {
			c.respond(id, "404", "")
			return
		}
		if when == "after" {
			c.eng.SendHeaders(id, []hpack.Field{{Name: ":status", Value: "200"}}, false)
			c.eng.SendData(id, []byte("partial"), false)
		}
		c.eng.ResetStream(id, frame.ErrCode(code))
	})
}

// fetchErr does one request on a fresh connection of rt and returns the
// error of the exchange (RoundTrip's, else the body's), url.Error
// unwrapped as connect-go does.
func fetchErr(t *testing.T, rt http.RoundTripper, u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if ue := new(url.Error); errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// TestStreamErrorTextAsGo: a reset received from the server reads as Go's
// HTTP/2 client words it (what libraries such as connect-go match), before
// and after the response head, while errors.As still finds the
// *h2kit.StreamError. Go's own client (net/http, h2c) against the same
// server is the reference.
func TestStreamErrorTextAsGo(t *testing.T) {
	s := resetServer(t)
	codes := []frame.ErrCode{frame.ErrCodeCancel, frame.ErrCodeInternal, frame.ErrCodeProtocol,
		frame.ErrCodeEnhanceYourCalm, frame.ErrCodeNo, frame.ErrCodeFlowControl}
	for _, when := range []string{"before", "after"} {
		for _, code := range codes {
			if when == "before" && code == frame.ErrCodeNo {
				continue // Go's client retries that one (it reads as "not processed")
			}
			t.Run(fmt.Sprintf("%s/%s", when, code), func(t *testing.T) {
				u := fmt.Sprintf("%s/%s/%d", s.url(), when, uint32(code))

				want := fmt.Sprintf("stream error: stream ID 1; %s; received from peer", code)
				// Go's client takes PROTOCOL_ERROR before a response for
				// a sign to retry on a new connection (forever, here).
				if when != "before" || code != frame.ErrCodeProtocol {
					gotr := &http.Transport{Protocols: new(http.Protocols)}
					gotr.Protocols.SetUnencryptedHTTP2(true)
					defer gotr.CloseIdleConnections()
					if goErr := fetchErr(t, gotr, u); goErr == nil || goErr.Error() != want {
						t.Fatalf("reference: Go's client got %v, want %q (the test's expectation is wrong)", goErr, want)
					}
				}

				tr := &Transport{AllowHTTP: true}
				defer tr.CloseIdleConnections()
				err := fetchErr(t, tr, u)
				if err == nil || err.Error() != want {
					t.Fatalf("h2client: %v, want %q (as Go's client)", err, want)
				}
				var se *h2kit.StreamError
				if !errors.As(err, &se) || se.Code != code || se.Initiator != h2kit.Remote || se.StreamID != 1 {
					t.Fatalf("errors.As: %#v, want a remote *h2kit.StreamError with code %s on stream 1", se, code)
				}
				if !errors.Is(err, &h2kit.StreamError{Code: code}) {
					t.Errorf("errors.Is does not match the code %s", code)
				}
			})
		}
	}
}

// TestStreamErrorText pins the text of each kind of StreamError.
func TestStreamErrorText(t *testing.T) {
	for _, c := range []struct {
		err  h2kit.StreamError
		want string
	}{
		{h2kit.StreamError{StreamID: 3, Code: frame.ErrCodeCancel, Initiator: h2kit.Remote},
			"stream error: stream ID 3; CANCEL; received from peer"},
		{h2kit.StreamError{StreamID: 5, Code: frame.ErrCodeRefusedStream, Initiator: h2kit.Remote, Reason: "the server did not process the request"},
			"stream error: stream ID 5; REFUSED_STREAM; received from peer"},
		{h2kit.StreamError{StreamID: 7, Code: frame.ErrCodeProtocol, Initiator: h2kit.Local},
			"stream error: stream ID 7; PROTOCOL_ERROR"},
		{h2kit.StreamError{StreamID: 9, Code: frame.ErrCodeProtocol, Initiator: h2kit.Local, Reason: "bad content-length"},
			"stream error: stream ID 9; PROTOCOL_ERROR; bad content-length"},
		{h2kit.StreamError{StreamID: 11, Code: frame.ErrCodeCancel, Initiator: h2kit.User},
			"stream error: stream ID 11; CANCEL"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.err, got, c.want)
		}
	}
}
