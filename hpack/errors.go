package hpack

import (
	"errors"
	"strconv"
)

// The kinds of decoding error. The Decoder and the primitives return them
// wrapped in a *DecodingError that says where and what; test with errors.Is.
// Any decoding error is a connection error of type COMPRESSION_ERROR (RFC
// 9113, Section 4.3), except ErrHeaderListTooLarge, after which the
// decoding context is still in sync (see Decoder.Decode).
var (
	// ErrHeaderListTooLarge: the decoded header list is larger than the
	// limit set by Decoder.SetMaxHeaderListSize (RFC 9113, Section 6.5.2).
	ErrHeaderListTooLarge = errors.New("hpack: header list too large")
	// ErrStringTooLong: a string literal is longer than the limit set by
	// Decoder.SetMaxStringLength (RFC 7541, Section 7.4).
	ErrStringTooLong = errors.New("hpack: string literal too long")
	// ErrInvalidIndex: an index is 0 or beyond the static and dynamic
	// tables (RFC 7541, Sections 2.3.3 and 6.1).
	ErrInvalidIndex = errors.New("hpack: invalid index")
	// ErrIntegerOverflow: an integer is larger than 2^32-1 or encoded in
	// more octets than such a value needs (RFC 7541, Sections 5.1 and 7.4).
	ErrIntegerOverflow = errors.New("hpack: integer overflow")
	// ErrInvalidHuffman: a Huffman-encoded string contains EOS, or its
	// padding is longer than 7 bits or not the most significant bits of EOS
	// (RFC 7541, Section 5.2).
	ErrInvalidHuffman = errors.New("hpack: invalid Huffman-encoded string")
	// ErrTableSizeUpdate: a dynamic table size update is not at the start
	// of a header block, is above the allowed maximum, or is missing where
	// RFC 7541, Section 4.2 requires one.
	ErrTableSizeUpdate = errors.New("hpack: invalid dynamic table size update")
	// ErrTruncated: the input ends inside an integer or a string literal.
	ErrTruncated = errors.New("hpack: truncated input")
)

// DecodingError describes malformed or over-limit input. Unwrap returns
// Kind, so errors.Is(err, ErrInvalidIndex) and the like work.
type DecodingError struct {
	Kind   error  // one of the Err* variables of this package
	Offset int    // offset in the input of the representation or string that failed
	Detail string // what exactly was wrong, e.g. "index 70 > 64 (61 static + 3 dynamic)"
}

// Error returns "hpack: <kind>: <detail> at offset <n>".
func (e *DecodingError) Error() string {
	s := e.Kind.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns e.Kind.
func (e *DecodingError) Unwrap() error { return e.Kind }

func decodingError(kind error, off int, detail string) error {
	return &DecodingError{Kind: kind, Offset: off, Detail: detail}
}
