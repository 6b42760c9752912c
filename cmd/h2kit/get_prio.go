package main

// This file parses the RFC 9218 priorities of get's --extpri and
// --extpri-update.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/h2kit/h2kit"
)

// parsePriorityFlag parses a priority as the command line gives it:
// "u=N" (urgency 0 to 7), "i" (incremental; also "i=?1", "i=?0"), or
// both separated by a comma, as in a priority field value (RFC 9218,
// Section 4). Unlike a server reading the field, which ignores what it
// does not know, a command line gets an error for anything else.
func parsePriorityFlag(s string) (h2kit.Priority, error) {
	p := h2kit.DefaultPriority
	if strings.TrimSpace(s) == "" {
		return p, errors.New(`want u=N (0 to 7) and/or i, as "u=1, i"`)
	}
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		key, val, hasVal := strings.Cut(item, "=")
		if seen[key] {
			return p, errors.New(key + " given twice")
		}
		seen[key] = true
		switch key {
		case "u":
			n, err := strconv.Atoi(val)
			if !hasVal || err != nil || n < 0 || n > 7 || len(val) != 1 {
				return p, errors.New("urgency u wants a digit, 0 (highest) to 7 (lowest)")
			}
			p.Urgency = uint8(n)
		case "i":
			switch {
			case !hasVal || val == "?1":
				p.Incremental = true
			case val == "?0":
				p.Incremental = false
			default:
				return p, errors.New("incremental is i, i=?1 or i=?0")
			}
		default:
			return p, errors.New("unknown member " + strconv.Quote(item) + `: want u=N (0 to 7) and/or i`)
		}
	}
	return p, nil
}
