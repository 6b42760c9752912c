// Package hpack implements HPACK, the header compression format of HTTP/2
// (RFC 7541): integer and string primitives, Huffman coding, the static and
// dynamic tables, an Encoder and a Decoder.
//
// An HTTP/2 connection has one Encoder for the header blocks it sends and
// one Decoder for those it receives; each holds the dynamic table of its
// direction, so every header block must go through it in the order of the
// connection. Neither is safe for concurrent use.
//
//	enc := hpack.NewEncoder()
//	block := enc.Encode(nil, []hpack.Field{{Name: ":method", Value: "GET"}})
//
//	dec := hpack.NewDecoder(hpack.DefaultTableSize)
//	fields, err := dec.Decode(nil, block)
//
// Both sides append and reuse: the Encoder appends to the caller's slice, the
// Decoder appends to the caller's field slice and returns strings that alias
// its own buffers (valid until its next Decode). In steady state neither
// allocates.
//
// The static table and the Huffman code are generated from the text of the
// RFC (testdata/rfc7541.txt) by gen.go.
package hpack

//go:generate go run gen.go

// DefaultTableSize is the initial maximum size of the dynamic table, the
// default value of SETTINGS_HEADER_TABLE_SIZE (RFC 9113, Section 6.5.2).
const DefaultTableSize = 4096
