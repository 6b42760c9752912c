package hpack_test

import (
	"errors"
	"fmt"

	"github.com/h2kit/h2kit/hpack"
)

// An Encoder and a Decoder, one per direction of a connection: the second
// request costs a few octets.
func Example() {
	enc := hpack.NewEncoder()
	dec := hpack.NewDecoder(hpack.DefaultTableSize)

	req := []hpack.Field{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "example.com"},
		{Name: ":path", Value: "/"},
		{Name: "user-agent", Value: "h2kit-example/1.0"},
		{Name: "authorization", Value: "Bearer secret-token"},
	}
	var block []byte
	var fields []hpack.Field
	for i := range 2 {
		block = enc.Encode(block[:0], req)
		var err error
		fields, err = dec.Decode(fields, block)
		if err != nil {
			panic(err)
		}
		fmt.Printf("request %d: %d octets, %d fields\n", i+1, len(block), len(fields))
	}
	for _, f := range fields {
		fmt.Printf("%s: %q sensitive=%v\n", f.Name, f.Value, f.Sensitive)
	}
	// Output:
	// request 1: 44 octets, 6 fields
	// request 2: 22 octets, 6 fields
	// :method: "GET" sensitive=false
	// :scheme: "https" sensitive=false
	// :authority: "example.com" sensitive=false
	// :path: "/" sensitive=false
	// user-agent: "h2kit-example/1.0" sensitive=false
	// authorization: "Bearer secret-token" sensitive=true
}

// The peer lowered SETTINGS_HEADER_TABLE_SIZE: the next block starts with
// a dynamic table size update.
func ExampleEncoder_SetMaxDynamicTableSize() {
	enc := hpack.NewEncoder()
	enc.SetMaxDynamicTableSize(256)
	fmt.Printf("%x\n", enc.Encode(nil, []hpack.Field{{Name: ":status", Value: "200"}}))
	fmt.Printf("%x\n", enc.Encode(nil, []hpack.Field{{Name: ":status", Value: "200"}}))
	// Output:
	// 3fe10188
	// 88
}

// Decoding errors say what is wrong and where, and match their kind with
// errors.Is.
func ExampleDecoder_Decode_error() {
	dec := hpack.NewDecoder(hpack.DefaultTableSize)
	_, err := dec.Decode(nil, []byte{0x82, 0xbe})
	fmt.Println(err)
	fmt.Println(errors.Is(err, hpack.ErrInvalidIndex))
	// Output:
	// hpack: invalid index: index 62 beyond the 61 static and 0 dynamic entries at offset 1
	// true
}

func ExampleAppendInt() {
	// RFC 7541, Appendix C.1.2: 1337 with a 5-bit prefix.
	b := hpack.AppendInt(nil, 0x00, 5, 1337)
	v, n, err := hpack.ReadInt(b, 5)
	fmt.Printf("%x %d %d %v\n", b, v, n, err)
	// Output: 1f9a0a 1337 3 <nil>
}

func ExampleAppendHuffman() {
	b := hpack.AppendHuffman(nil, "www.example.com")
	s, err := hpack.AppendHuffmanDecode(nil, b)
	fmt.Printf("%x %s %v\n", b, s, err)
	// Output: f1e3c2e5f23a6ba0ab90f4ff www.example.com <nil>
}
