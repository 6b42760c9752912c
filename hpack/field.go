package hpack

import "math"

// Field is a header field: a name and a value, both sequences of octets.
//
// Sensitive marks a field the Encoder must never add to a dynamic table, on
// this hop or any later one: it is sent as a literal "never indexed"
// representation (RFC 7541, Section 6.2.3), which protects values with
// little entropy, such as short cookies or credentials, from compression
// attacks (RFC 7541, Section 7.1.3). The Decoder sets Sensitive on the
// fields it receives in that representation, so an intermediary forwards
// them the same way.
type Field struct {
	Name, Value string
	Sensitive   bool
}

// entryOverhead is the per-entry overhead of the dynamic table (RFC 7541,
// Section 4.1).
const entryOverhead = 32

// Size returns the size of f as an entry of the dynamic table, its name
// length plus its value length plus 32 (RFC 7541, Section 4.1). It is also
// the size of the field in a header list (RFC 9113, Section 6.5.2). It
// saturates at math.MaxUint32.
func (f Field) Size() uint32 {
	return entrySize(len(f.Name), len(f.Value))
}

func entrySize(nameLen, valueLen int) uint32 {
	n := uint64(nameLen) + uint64(valueLen) + entryOverhead
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}

// IsPseudo reports whether f is a pseudo-header field, whose name starts
// with ':' (RFC 9113, Section 8.3).
func (f Field) IsPseudo() bool {
	return len(f.Name) > 0 && f.Name[0] == ':'
}

// String returns "name: value", with the value hidden if f is Sensitive.
func (f Field) String() string {
	if f.Sensitive {
		return f.Name + ": <sensitive>"
	}
	return f.Name + ": " + f.Value
}
