package h2client

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	h2kit "github.com/h2kit/h2kit"
)

// Streams are recycled once the response body is closed and nothing
// else uses them: a body used after its Close (Read, Close,
// UpdatePriority), or closed while a Read waits, must never reach the
// stream of a later request. Each response carries its own path, so a
// body that read another request's bytes fails the test; under -race a
// recycled stream touched through an old body is a reported race too.
func TestRecycledStreamBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the client closes the body first
			return
		}
		io.WriteString(w, r.URL.Path)
	})
	base := startH2ServerH2C(t, h, nil)
	tr := newTransport(t)
	tr.AllowHTTP = true
	const workers, each = 4, 150
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				if err := recycleRound(tr, base, g, i); err != nil {
					errc <- fmt.Errorf("worker %d, request %d: %w", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func recycleRound(tr *Transport, base string, g, i int) error {
	path := fmt.Sprintf("/r/%d/%d", g, i)
	mode := i % 4
	if mode == 3 {
		path += "/slow"
	}
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	afterClose := func() error {
		buf := make([]byte, 64)
		if n, err := resp.Body.Read(buf); n != 0 || !errors.Is(err, errBodyClosed) {
			return fmt.Errorf("Read after Close: %d bytes (%q), %v", n, buf[:n], err)
		}
		if err := resp.Body.Close(); err != nil {
			return fmt.Errorf("second Close: %v", err)
		}
		if err := UpdatePriority(resp, h2kit.Priority{Urgency: 1}); !errors.Is(err, ErrNotInFlight) {
			return fmt.Errorf("UpdatePriority after Close: %v", err)
		}
		return nil
	}
	switch mode {
	case 0, 1: // read it all, then close
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != path {
			return fmt.Errorf("body %q, %v; want %q", b, err, path)
		}
		resp.Body.Close()
		if mode == 1 {
			return nil
		}
	case 2: // close unread
		resp.Body.Close()
	case 3: // close while a Read waits for bytes that never come
		read := make(chan error, 1)
		go func() {
			b, err := io.ReadAll(resp.Body)
			if err == nil || len(b) != 0 {
				err = fmt.Errorf("Read of a body closed meanwhile: %q, %v", b, err)
			} else {
				err = nil
			}
			read <- err
		}()
		resp.Body.Close()
		if err := <-read; err != nil {
			return err
		}
	}
	return afterClose()
}
