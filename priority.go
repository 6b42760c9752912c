package h2kit

import (
	"strconv"
	"strings"
)

// Priority is an RFC 9218 priority: Urgency 0 (highest) to 7 (lowest),
// and whether the response can be delivered incrementally.
type Priority struct {
	Urgency     uint8
	Incremental bool
}

// DefaultPriority is u=3, not incremental (RFC 9218, Section 4).
var DefaultPriority = Priority{Urgency: 3}

// ParsePriority parses a "priority" header field or PRIORITY_UPDATE value
// (an RFC 8941 dictionary). Unknown members and out-of-range values are
// ignored (RFC 9218, Section 4): the result is never an error.
func ParsePriority(v string) Priority {
	// The forms browsers send ("u=0", "u=1, i") without the general
	// parse below, which gives them the same meaning.
	if len(v) >= 3 && v[0] == 'u' && v[1] == '=' && '0' <= v[2] && v[2] <= '7' {
		switch rest := v[3:]; rest {
		case "":
			return Priority{Urgency: v[2] - '0'}
		case ", i":
			return Priority{Urgency: v[2] - '0', Incremental: true}
		}
	}
	return parsePriority(v)
}

// parsePriority is ParsePriority for any value.
func parsePriority(v string) Priority {
	p := DefaultPriority
	for len(v) > 0 {
		var item string
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		item = strings.TrimSpace(item)
		if i := strings.IndexByte(item, ';'); i >= 0 {
			item = item[:i] // parameters are ignored
		}
		key, val, hasVal := strings.Cut(item, "=")
		switch key {
		case "u":
			if n, err := strconv.Atoi(val); err == nil && hasVal && n >= 0 && n <= 7 {
				p.Urgency = uint8(n)
			}
		case "i":
			switch {
			case !hasVal || val == "?1":
				p.Incremental = true
			case val == "?0":
				p.Incremental = false
			}
		}
	}
	return p
}

// String formats p as a priority field value, e.g. "u=1, i".
func (p Priority) String() string {
	s := "u=" + strconv.Itoa(int(p.Urgency))
	if p.Incremental {
		s += ", i"
	}
	return s
}
