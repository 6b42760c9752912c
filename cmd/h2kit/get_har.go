package main

// This file writes get's -r/--har FILE: an HTTP Archive (HAR 1.2,
// http://www.softwareishard.com/blog/har-12-spec/) of the run, as nghttp
// -r does: one entry per request and per pushed response, with the
// header fields as they went over the wire (pseudo-header fields
// included), the status, the body sizes and the timings that get knows
// (send is 0: the request is handed to the connection; wait runs to the
// response header section, receive to the end of the body). The stream
// id and whether the response was pushed are in the custom fields
// _streamId and _pushed.

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/h2kit/h2kit/hpack"
)

// harExchange is what a stat row keeps for the archive.
type harExchange struct {
	method     string
	url        string
	reqFields  []hpack.Field // as sent (or as promised)
	reqBody    []byte
	respFields []hpack.Field // the final response's, as received
	statusText string
	mime       string
	location   string
	err        string
}

type harLog struct {
	Log harBody `json:"log"`
}

type harBody struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Connection      string      `json:"connection,omitempty"`
	StreamID        uint32      `json:"_streamId,omitempty"`
	Pushed          bool        `json:"_pushed,omitempty"`
	Error           string      `json:"_error,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

type harContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// harMs is d in milliseconds, to the microsecond.
func harMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// harFields converts header fields, control characters kept (JSON
// escapes them).
func harFields(fields []hpack.Field) []harNV {
	out := make([]harNV, 0, len(fields))
	for _, f := range fields {
		out = append(out, harNV{f.Name, f.Value})
	}
	return out
}

// harQuery lists the query of u.
func harQuery(u string) []harNV {
	out := []harNV{}
	pu, err := url.Parse(u)
	if err != nil {
		return out
	}
	q := pu.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			out = append(out, harNV{k, v})
		}
	}
	return out
}

// harEntryOf makes the entry of a stat row.
func harEntryOf(r statRow, start time.Time) harEntry {
	x := r.har
	if x == nil {
		x = &harExchange{method: http.MethodGet, url: r.origin + r.path}
	}
	e := harEntry{
		StartedDateTime: start.Add(r.start).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		StreamID:        r.stream,
		Pushed:          r.pushed,
		Error:           x.err,
		Connection:      r.origin,
		Timings:         harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1},
	}
	e.Request = harRequest{
		Method: x.method, URL: x.url, HTTPVersion: "HTTP/2.0", Cookies: []harNV{},
		Headers: harFields(x.reqFields), QueryString: harQuery(x.url), HeadersSize: -1, BodySize: len(x.reqBody),
	}
	if len(x.reqBody) > 0 {
		pd := &harPostData{}
		for _, f := range x.reqFields {
			if f.Name == "content-type" {
				pd.MimeType = f.Value
			}
		}
		if utf8.Valid(x.reqBody) {
			pd.Text = string(x.reqBody)
		}
		e.Request.PostData = pd
	}
	e.Response = harResponse{
		Status: r.status, StatusText: x.statusText, HTTPVersion: "HTTP/2.0", Cookies: []harNV{},
		Headers: harFields(x.respFields), Content: harContent{Size: r.size, MimeType: x.mime},
		RedirectURL: x.location, HeadersSize: -1, BodySize: r.size,
	}
	if r.status == 0 {
		e.Response.BodySize = -1
	}
	if r.headers > 0 {
		e.Timings.Wait = harMs(r.headers - r.start)
		if r.end > 0 {
			e.Timings.Receive = harMs(r.end - r.headers)
		}
	}
	e.Time = e.Timings.Send + e.Timings.Wait + e.Timings.Receive
	return e
}

// writeHAR writes the archive of rows to path.
func writeHAR(path string, rows []statRow, start time.Time) error {
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	l := harLog{Log: harBody{Version: "1.2", Creator: harCreator{Name: "h2kit get", Version: version}, Entries: []harEntry{}}}
	for _, r := range rows {
		l.Log.Entries = append(l.Log.Entries, harEntryOf(r, start))
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--har: %w", err)
	}
	return nil
}

// originOf is scheme://host:port of u, as --stat shows it.
func originOf(u *url.URL) string { return u.Scheme + "://" + dialAddress(u) }

// pushRow adds the stat row of a pushed request (g.mu held).
func (g *getter) pushRow(req *http.Request) *statRow {
	row := &statRow{pushed: true, start: g.since(), path: req.URL.RequestURI(), origin: originOf(req.URL)}
	if g.o.har != "" {
		row.har = &harExchange{method: req.Method, url: req.URL.String()}
	}
	g.rows = append(g.rows, row)
	return row
}

// pushStreams gives the pushed rows their stream ids and the promised
// header fields, from the PUSH_PROMISEs received, in order, by path.
func (g *getter) pushStreams(rows []statRow) {
	if g.wire == nil {
		return
	}
	for i := range rows {
		r := &rows[i]
		if !r.pushed {
			continue
		}
		if p, ok := g.wire.takePromise(r.path); ok {
			r.stream = p.id
			if r.har != nil {
				x := *r.har
				x.reqFields = p.fields
				r.har = &x
			}
		}
	}
}

// noteResponse records a response for the archive: its header fields
// as they arrived when get saw them (wired), else resp's.
func (g *getter) noteResponse(row *statRow, wired *wireClaim, resp *http.Response) {
	var final []hpack.Field
	if wired != nil {
		_, final, _ = g.wire.response(wired)
	}
	g.setRow(row, func(r *statRow) { noteHARResponse(r.har, final, resp) })
}

// noteHARResponse fills x from a response: fields as received, or (nil)
// made from resp.
func noteHARResponse(x *harExchange, fields []hpack.Field, resp *http.Response) {
	if fields != nil {
		x.respFields = fields
	} else {
		x.respFields = append([]hpack.Field{{Name: ":status", Value: strconv.Itoa(resp.StatusCode)}}, headerFields(resp.Header)...)
	}
	x.statusText = http.StatusText(resp.StatusCode)
	x.mime = resp.Header.Get("Content-Type")
	x.location = resp.Header.Get("Location")
}

// headerFields lists h's fields, names in lower case and sorted (net/http
// keeps no order).
func headerFields(h http.Header) []hpack.Field {
	var out []hpack.Field
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, hpack.Field{Name: strings.ToLower(k), Value: v})
		}
	}
	return out
}
