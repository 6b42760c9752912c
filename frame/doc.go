// Package frame is the HTTP/2 wire vocabulary: the 9-octet frame header, every
// frame type of RFC 9113 Section 6, the PRIORITY_UPDATE frame of RFC 9218
// Section 7.1, and frames of unknown type, which are kept as opaque payload.
//
// The package does no I/O and keeps no connection state. It parses frames from
// a byte slice and appends frames to a byte slice:
//
//	var p frame.Parser            // zero value: SETTINGS_MAX_FRAME_SIZE 16384
//	f, n, err := p.Parse(buf)     // n == 0 && err == nil: need more bytes
//	out = f.Append(out[:0])       // HeaderLen + f.Len() bytes
//
// Every frame type implements [Frame]; a type switch on the concrete pointer
// types ([*Data], [*Headers], [*Priority], [*RSTStream], [*Settings],
// [*PushPromise], [*Ping], [*GoAway], [*WindowUpdate], [*Continuation],
// [*PriorityUpdate], [*Unknown]) reaches the fields.
//
// # Validation
//
// [Parser.Parse] performs every check that needs no connection state and
// reports a violation as an [*Error] carrying the RFC's error code and whether
// it is a connection error (RFC 9113, Section 5.4.1) or a stream error
// (Section 5.4.2). Checks that need connection state (stream states, the
// CONTINUATION sequence, flow-control windows, which settings have been
// acknowledged, which role sent the frame) belong to the caller.
//
// Following RFC 9113 Section 4.1, unknown frame types are never an error,
// flags a frame type does not define are ignored on receipt and never sent,
// and reserved bits are ignored on receipt and sent as zero. Padding octets
// are not checked for being zero (Section 6.1 makes that optional).
//
// # Memory
//
// Parsing allocates nothing in steady state: a [Parser] owns one value of each
// frame type and reuses it, and byte-slice fields alias the parsed buffer. A
// parsed frame is therefore valid only until the next call to Parse on the
// same Parser and only while the buffer is unmodified; copy what must live
// longer. Append methods write to the caller's slice and allocate only when it
// must grow.
package frame
