package hpack

import (
	"bytes"
	"strings"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// A benchSet is a sequence of header lists sent on one connection. Each
// benchmark iteration encodes or decodes the whole sequence, starting with
// the dynamic table emptied by a size update to 0 (then back to 4096), so
// it measures the first, literal-heavy message and the later, mostly
// indexed ones.
type benchSet struct {
	name string
	msgs [][]Field
}

// cookie500 is a 500-octet browser cookie.
var cookie500 = func() string {
	var b strings.Builder
	parts := []string{"sidebar_collapsed=0", "_mkto_trk=id:123-ABC-456&token:_mch-akamai.com-1464731578365-92833",
		"AKA_A2=1", "ak_bmsc=8DEA673F92AC0D5D11D7E9E46C0283E0B8B7B0D9F7300000A2C54F57A6C0C535~plYsPBM6+5yyT0ZNGZ5W3HUJ",
		"s_cc=true", "s_fid=3BE5A1E9A9EA9D3E-1CD2A2E5FC34E8F1", "utag_main=v_id:01550f4c1c6a001c8bb51f6dbef00407900170700bd78"}
	for i := 0; b.Len() < 500; i++ {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(parts[i%len(parts)])
	}
	return b.String()[:500]
}()

var benchSets = []benchSet{
	{"browser", browserRequests()},
	{"response", responses()},
	{"grpc", grpcRequests()},
}

// browserRequests: a page and two of its assets, as a browser asks for
// them (after the example of "Learning HTTP/2", chapter 5).
func browserRequests() [][]Field {
	base := func(path, accept string) []Field {
		return []Field{
			{Name: ":method", Value: "GET"},
			{Name: ":authority", Value: "www.akamai.com"},
			{Name: ":scheme", Value: "https"},
			{Name: ":path", Value: path},
			{Name: "accept", Value: accept},
			{Name: "accept-encoding", Value: "gzip, deflate, br"},
			{Name: "accept-language", Value: "en-US,en;q=0.8"},
			{Name: "cookie", Value: cookie500},
			{Name: "upgrade-insecure-requests", Value: "1"},
			{Name: "user-agent", Value: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36"},
		}
	}
	r2 := append(base("/styles/screen.1462424759000.css", "text/css,*/*;q=0.1"), Field{Name: "referer", Value: "https://www.akamai.com/"})
	r3 := append(base("/images/favicons/favicon.ico?v=XBBK2PxW74", "image/webp,image/*,*/*;q=0.8"), Field{Name: "referer", Value: "https://www.akamai.com/"})
	return [][]Field{base("/", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"), r2, r3}
}

// responses: three typical responses from one server.
func responses() [][]Field {
	r := func(status, ctype, length, etag string) []Field {
		return []Field{
			{Name: ":status", Value: status},
			{Name: "cache-control", Value: "max-age=600"},
			{Name: "content-encoding", Value: "gzip"},
			{Name: "content-type", Value: ctype},
			{Name: "content-length", Value: length},
			{Name: "date", Value: "Tue, 31 May 2016 23:38:47 GMT"},
			{Name: "etag", Value: etag},
			{Name: "expires", Value: "Tue, 31 May 2016 23:48:47 GMT"},
			{Name: "server", Value: "AkamaiGHost"},
			{Name: "vary", Value: "Accept-Encoding, User-Agent"},
			{Name: "x-frame-options", Value: "SAMEORIGIN"},
			{Name: "strict-transport-security", Value: "max-age=31536000; includeSubDomains"},
		}
	}
	return [][]Field{
		append(r("200", "text/html;charset=UTF-8", "18213", `"08c024491eb772547850bf157abb6c430-gzip"`),
			Field{Name: "set-cookie", Value: "ak_bmsc=8DEA673F92AC0D5D11D7E9E46C0283E0B8B7B0D9F7300000A2C54F57A6C0C535; expires=Wed, 01 Jun 2016 01:38:47 GMT; path=/; domain=.akamai.com; HttpOnly"},
			Field{Name: "link", Value: "<https://c.go-mpulse.net>;rel=preconnect"}),
		r("200", "text/css", "2954", `"0265cc232654508d14d13deb0b3ab2c4-gzip"`),
		r("304", "image/x-icon", "1615", `"c8a5a0f0c7e1a8a4b1e9d3e5f6a7b8c9-gzip"`),
	}
}

// grpcRequests: three unary calls of one method.
func grpcRequests() [][]Field {
	r := func(timeout, id string) []Field {
		return []Field{
			{Name: ":method", Value: "POST"},
			{Name: ":scheme", Value: "http"},
			{Name: ":path", Value: "/helloworld.Greeter/SayHello"},
			{Name: ":authority", Value: "localhost:50051"},
			{Name: "content-type", Value: "application/grpc"},
			{Name: "user-agent", Value: "grpc-go/1.64.0"},
			{Name: "te", Value: "trailers"},
			{Name: "grpc-accept-encoding", Value: "gzip"},
			{Name: "grpc-timeout", Value: timeout},
			{Name: "x-request-id", Value: id},
		}
	}
	return [][]Field{
		r("99985u", "3f2a9c1e-7b4d-4e8a-9f61-0c2d5e8b7a13"),
		r("99991u", "a81c4f27-2e9b-4d3c-8a70-5b6e1f9d0c24"),
		r("99987u", "5d7e0b39-c4a1-4f62-b8e3-9a2c7d1e6f05"),
	}
}

// tableReset is two dynamic table size updates, to 0 and back to 4096: the
// start of every benchmark sequence.
var tableReset = []byte{0x20, 0x3f, 0xe1, 0x1f}

// h2kitBlocks encodes msgs with a new Encoder, the first block prefixed
// with tableReset.
func h2kitBlocks(msgs [][]Field) [][]byte {
	e := NewEncoder()
	var blocks [][]byte
	for i, m := range msgs {
		var b []byte
		if i == 0 {
			b = append(b, tableReset...)
		}
		blocks = append(blocks, e.Encode(b, m))
	}
	return blocks
}

// xnetBlocks is h2kitBlocks with the x/net Encoder.
func xnetBlocks(msgs [][]Field) [][]byte {
	var buf bytes.Buffer
	e := xhpack.NewEncoder(&buf)
	var blocks [][]byte
	for i, m := range msgs {
		buf.Reset()
		if i == 0 {
			buf.Write(tableReset)
		}
		for _, f := range m {
			if err := e.WriteField(xhpack.HeaderField{Name: f.Name, Value: f.Value, Sensitive: f.Sensitive}); err != nil {
				panic(err)
			}
		}
		blocks = append(blocks, bytes.Clone(buf.Bytes()))
	}
	return blocks
}

func listSize(msgs [][]Field) (n int64) {
	for _, m := range msgs {
		for _, f := range m {
			n += int64(f.Size())
		}
	}
	return n
}

// BenchmarkDecode decodes the same blocks (from the x/net Encoder, so
// neither side decodes its own output) with both decoders.
func BenchmarkDecode(b *testing.B) {
	for _, set := range benchSets {
		blocks := xnetBlocks(set.msgs)
		b.Run(set.name+"/h2kit", func(b *testing.B) {
			d := NewDecoder(DefaultTableSize)
			var fields []Field
			b.SetBytes(listSize(set.msgs))
			b.ReportAllocs()
			for b.Loop() {
				for _, blk := range blocks {
					var err error
					if fields, err = d.Decode(fields, blk); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(set.name+"/xnet", func(b *testing.B) {
			n := 0
			d := xhpack.NewDecoder(DefaultTableSize, func(f xhpack.HeaderField) { n++ })
			b.SetBytes(listSize(set.msgs))
			b.ReportAllocs()
			for b.Loop() {
				for _, blk := range blocks {
					if _, err := d.Write(blk); err != nil {
						b.Fatal(err)
					}
					if err := d.Close(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkEncode encodes the same header lists with both encoders, each
// iteration starting with the table emptied.
func BenchmarkEncode(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name+"/h2kit", func(b *testing.B) {
			e := NewEncoder()
			var buf []byte
			b.SetBytes(listSize(set.msgs))
			b.ReportAllocs()
			for b.Loop() {
				e.SetMaxDynamicTableSize(0)
				e.SetMaxDynamicTableSize(DefaultTableSize)
				for _, m := range set.msgs {
					buf = e.Encode(buf[:0], m)
				}
			}
		})
		b.Run(set.name+"/xnet", func(b *testing.B) {
			var buf bytes.Buffer
			e := xhpack.NewEncoder(&buf)
			xfields := make([][]xhpack.HeaderField, len(set.msgs))
			for i, m := range set.msgs {
				for _, f := range m {
					xfields[i] = append(xfields[i], xhpack.HeaderField{Name: f.Name, Value: f.Value, Sensitive: f.Sensitive})
				}
			}
			b.SetBytes(listSize(set.msgs))
			b.ReportAllocs()
			for b.Loop() {
				e.SetMaxDynamicTableSize(0)
				e.SetMaxDynamicTableSize(DefaultTableSize)
				for _, m := range xfields {
					buf.Reset()
					for _, f := range m {
						if err := e.WriteField(f); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		})
	}
}

// BenchmarkHuffman measures the primitives alone.
func BenchmarkHuffman(b *testing.B) {
	s := cookie500
	enc := AppendHuffman(nil, s)
	b.Run("decode/h2kit", func(b *testing.B) {
		var out []byte
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			out, _ = AppendHuffmanDecode(out[:0], enc)
		}
	})
	b.Run("decode/xnet", func(b *testing.B) {
		var buf bytes.Buffer
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if _, err := xhpack.HuffmanDecode(&buf, enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/h2kit", func(b *testing.B) {
		var out []byte
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			out = AppendHuffman(out[:0], s)
		}
	})
	b.Run("encode/xnet", func(b *testing.B) {
		var out []byte
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			out = xhpack.AppendHuffmanString(out[:0], s)
		}
	})
}

// BenchmarkDecodeIndexed decodes a browser's request head sent again:
// every field a reference to the dynamic table (or the static one), as
// a server receives most requests of a connection. The block leaves the
// table as it is, so it is decoded again and again.
func BenchmarkDecodeIndexed(b *testing.B) {
	msg := browserRequests()[0]
	e := NewEncoder()
	first := e.Encode(nil, msg)
	block := e.Encode(nil, msg)
	d := NewDecoder(DefaultTableSize)
	d.SetFieldCheck(func(Field) bool { return true })
	fields, err := d.Decode(nil, first)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if fields, err = d.Decode(fields, block); err != nil || len(fields) != len(msg) {
			b.Fatal(err)
		}
	}
}
