package h2kit

import (
	"strings"

	"github.com/h2kit/h2kit/hpack"
	"github.com/h2kit/h2kit/internal/httpsyntax"
)

// This file holds the HTTP message rules of RFC 9113, Section 8, in one
// place; Config.DisableMessageRules switches them off. Each check returns
// "" for a well-formed message or the reason it is malformed (a stream
// error of type PROTOCOL_ERROR, Section 8.1.1).

// messageInfo is what the checks learn on the way.
type messageInfo struct {
	contentLength int64 // -1 if absent
	status        int
	method        string
	host          string // the host field (a request's)
	isHead        bool
	hasPriority   bool
	priority      Priority
	// checked: the names and values of the regular fields passed
	// fieldChars already (the decoder's verdict, BlockPassed).
	checked bool
}

// safeCacheable reports whether a promised request may be pushed
// (Section 8.4: safe, cacheable, no content).
func (m *messageInfo) safeCacheable() bool {
	return (m.method == "GET" || m.method == "HEAD") && m.contentLength <= 0
}

// checkRegular validates one regular field (Section 8.2.1, 8.2.2).
func checkRegular(f *hpack.Field, m *messageInfo) string {
	if !m.checked {
		if reason := checkName(f.Name); reason != "" {
			return reason
		}
		if reason := checkValue(f.Value); reason != "" {
			return reason
		}
	}
	// The names below are the ones with a rule of their own; ruleLens
	// (for checkResponse's shortcut) has a bit for each one's length.
	switch f.Name {
	case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
		// Section 8.2.2: connection-specific fields are malformed.
		return "connection-specific header field " + f.Name
	case "te":
		// Section 8.2.2: TE may only say "trailers".
		if f.Value != "trailers" {
			return `te header field other than "trailers"`
		}
	case "content-length":
		n, ok := httpsyntax.ParseContentLength(f.Value)
		if !ok || (m.contentLength >= 0 && m.contentLength != n) {
			return "invalid content-length"
		}
		m.contentLength = n
	case "priority":
		m.hasPriority = true
		m.priority = ParsePriority(f.Value)
	case "host":
		m.host = f.Value
	}
	return ""
}

// checkName: Section 8.2.1, names are lowercase field-name tokens.
func checkName(name string) string { return httpsyntax.FieldNameProblem(name) }

// checkValue: Section 8.2.1, no NUL, CR or LF, no leading or trailing
// whitespace.
func checkValue(v string) string {
	if !httpsyntax.ValidFieldValue(v) {
		return "invalid character in header field value"
	}
	if httpsyntax.HasOuterOWS(v) {
		return "header field value with leading or trailing whitespace"
	}
	return ""
}

// fieldChars reports whether a regular field's name and value are made
// of the characters Section 8.2.1 allows (checkName, checkValue); a
// pseudo-header field passes, its name being checked where it is known
// (checkRequest, checkResponse). It is the decoder's field check
// (hpack.Decoder.SetFieldCheck), which remembers its verdict for each
// dynamic table entry: a field the peer sends again by index, as
// browsers send most of theirs, is not checked again. A block with a
// field that fails is checked field by field, for the reason.
func fieldChars(f hpack.Field) bool {
	return f.IsPseudo() || checkName(f.Name) == "" && checkValue(f.Value) == ""
}

// checkRequest validates a request header section (Section 8.3.1).
func checkRequest(fields []hpack.Field, m *messageInfo, extendedConnect bool) string {
	var method, scheme, path, authority, protocol string
	var seen uint8
	const (
		sMethod = 1 << iota
		sScheme
		sPath
		sAuthority
		sProtocol
	)
	i := 0
	for ; i < len(fields) && fields[i].IsPseudo(); i++ {
		f := &fields[i]
		var bit uint8
		switch f.Name {
		case ":method":
			bit, method = sMethod, f.Value
		case ":scheme":
			bit, scheme = sScheme, f.Value
		case ":path":
			bit, path = sPath, f.Value
		case ":authority":
			bit, authority = sAuthority, f.Value
		case ":protocol":
			bit, protocol = sProtocol, f.Value
		default:
			return "unknown or response pseudo-header field " + f.Name
		}
		if seen&bit != 0 {
			return "duplicate pseudo-header field " + f.Name
		}
		seen |= bit
	}
	if reason := checkRegulars(fields[i:], m); reason != "" {
		return reason
	}
	host := m.host
	m.method = method
	m.isHead = method == "HEAD"
	if seen&sMethod == 0 || method == "" {
		return "missing :method"
	}
	if seen&sProtocol != 0 {
		// RFC 8441, Section 3 and 4: :protocol only once we advertised
		// SETTINGS_ENABLE_CONNECT_PROTOCOL (without it the field is an
		// unknown pseudo-header, Section 8.3 of RFC 9113), only with
		// CONNECT, and never empty.
		if !extendedConnect {
			return ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL"
		}
		if method != "CONNECT" {
			return ":protocol on a " + method + " request"
		}
		if protocol == "" {
			return "empty :protocol"
		}
		// RFC 8441, Section 4: an extended CONNECT carries :scheme and
		// :path (checked below like any request's) and :authority, which
		// names the server as in any other request, not a tunnel's end.
		if seen&sAuthority == 0 || authority == "" {
			return "extended CONNECT without :authority"
		}
	} else if method == "CONNECT" {
		// Section 8.5: CONNECT has only :method and :authority.
		if seen&(sScheme|sPath) != 0 || authority == "" {
			return "malformed CONNECT request"
		}
		return ""
	}
	if seen&sScheme == 0 || scheme == "" {
		return "missing :scheme"
	}
	if seen&sPath == 0 || path == "" {
		return "missing or empty :path"
	}
	if (scheme == "http" || scheme == "https") && path[0] != '/' && !(path == "*" && method == "OPTIONS") {
		return "invalid :path"
	}
	if authority != "" && host != "" && !strings.EqualFold(authority, host) {
		// Section 8.3.1: Host must not differ from :authority.
		return "host header field differs from :authority"
	}
	return ""
}

// checkRegulars checks the fields that follow a request's pseudo-header
// fields, in a loop of their own: the pseudo-header fields' values need
// not live across it.
func checkRegulars(fields []hpack.Field, m *messageInfo) string {
	for i := range fields {
		f := &fields[i]
		if f.IsPseudo() {
			return "pseudo-header field after a regular field"
		}
		if reason := checkRegular(f, m); reason != "" {
			return reason
		}
	}
	return ""
}

// ruleLens has bit n set when a field name of n bytes may have a rule of
// its own in checkRegular (connection-specific fields, te, content-length,
// priority, host): a name of another length has none, so a field whose
// characters the decoder checked already (messageInfo.checked) needs no
// more than that.
const ruleLens uint64 = 1<<len("te") | 1<<len("host") | 1<<len("upgrade") | 1<<len("priority") |
	1<<len("connection") | 1<<len("keep-alive") | 1<<len("content-length") |
	1<<len("proxy-connection") | 1<<len("transfer-encoding")

// mayHaveRule reports whether checkRegular has a rule for a field named
// name beyond its characters (ruleLens; a shift by 64 or more is 0).
func mayHaveRule(name string) bool { return ruleLens>>uint(len(name))&1 != 0 }

// checkResponse validates a response header section (Section 8.3.2).
func checkResponse(fields []hpack.Field, m *messageInfo) string {
	rest := fields
	for len(rest) > 0 && rest[0].IsPseudo() {
		f := &rest[0]
		if f.Name != ":status" {
			return "invalid pseudo-header field in a response: " + f.Name
		}
		if m.status != 0 {
			return "duplicate :status"
		}
		m.status = parseStatus(f.Value)
		if m.status == 0 {
			return "invalid :status"
		}
		rest = rest[1:]
	}
	checked := m.checked
	for i := range rest {
		f := &rest[i]
		if checked && !mayHaveRule(f.Name) && len(f.Name) > 0 && f.Name[0] != ':' {
			continue // its characters passed (Section 8.2.1); no other rule
		}
		if f.IsPseudo() {
			// Section 8.3: pseudo-header fields come first.
			return "pseudo-header field after a regular field"
		}
		if reason := checkRegular(f, m); reason != "" {
			return reason
		}
	}
	if m.status == 0 {
		return "missing :status"
	}
	return ""
}

// checkTrailers validates a trailer section: no pseudo-header fields
// (Section 8.1). checked is messageInfo.checked.
func checkTrailers(fields []hpack.Field, checked bool) string {
	m := messageInfo{contentLength: -1, checked: checked}
	for i := range fields {
		f := &fields[i]
		if f.IsPseudo() {
			return "pseudo-header field in trailers"
		}
		if reason := checkRegular(f, &m); reason != "" {
			return reason
		}
	}
	return ""
}

// parseStatus is httpsyntax.ParseStatus for the :status of every response,
// without its loop: three digits, at least 100 (RFC 9110, Section 15;
// RFC 9113, Section 8.3.2), else 0.
func parseStatus(v string) int {
	if len(v) != 3 {
		return 0
	}
	a, b, c := v[0]-'0', v[1]-'0', v[2]-'0'
	if a < 1 || a > 9 || b > 9 || c > 9 {
		return 0
	}
	return int(a)*100 + int(b)*10 + int(c)
}

func statusOf(fields []hpack.Field) int {
	for i := range fields {
		if fields[i].Name == ":status" {
			return httpsyntax.ParseStatus(fields[i].Value)
		}
	}
	return 0
}
