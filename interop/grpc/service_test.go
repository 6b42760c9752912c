package grpcinterop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/h2kit/h2kit/internal/testpki"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The service is defined by hand (no protoc here): messages are raw
// bytes, carried by a codec named "raw" that both grpc-go (content-type
// application/grpc+raw, registered with encoding.RegisterCodec) and
// connect-go (connect.WithCodec, same name) use.

// rawCodec marshals *[]byte as its bytes.
type rawCodec struct{}

// Name is the gRPC content-subtype.
func (rawCodec) Name() string { return "raw" }

// Marshal returns the message's bytes.
func (rawCodec) Marshal(v any) ([]byte, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return *p, nil
}

// Unmarshal copies data into the message (data is not kept by callers).
func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*p = append((*p)[:0], data...)
	return nil
}

func init() { encoding.RegisterCodec(rawCodec{}) }

const (
	serviceName = "h2kit.interop.Test"
	// maxMsg is the message size limit on both sides: room for the 4 MiB
	// and larger messages of the tests.
	maxMsg = 32 << 20
)

// Requests of Echo and Chat are commands when they start with one of
// these; anything else is echoed.
const (
	cmdFail  = "fail:"  // fail:CODE: answer with that status code and trailer metadata
	cmdSleep = "sleep"  // wait until the call's context is done (deadline, cancellation)
	cmdMeta  = "x-meta" // the trailer metadata key the server always sets
)

// testServer implements the service and records what the handlers saw.
type testServer struct {
	mu      sync.Mutex
	ctxErrs []error // ctx.Err() seen by handlers that waited for it (cmdSleep)
	ctxDone chan struct{}
}

func newTestServer() *testServer { return &testServer{ctxDone: make(chan struct{}, 16)} }

// waited records that a handler saw its context end, with err.
func (s *testServer) waited(err error) {
	s.mu.Lock()
	s.ctxErrs = append(s.ctxErrs, err)
	s.mu.Unlock()
	s.ctxDone <- struct{}{}
}

// command answers one request: the reply, or the status to end the call
// with.
func (s *testServer) command(ctx context.Context, req []byte) ([]byte, error) {
	switch r := string(req); {
	case strings.HasPrefix(r, cmdFail):
		var code uint32
		fmt.Sscanf(r[len(cmdFail):], "%d", &code)
		return nil, status.Errorf(codes.Code(code), "failed as asked (%s)", r)
	case r == cmdSleep:
		<-ctx.Done()
		s.waited(ctx.Err())
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return req, nil
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var req []byte
			if err := dec(&req); err != nil {
				return nil, err
			}
			grpc.SetTrailer(ctx, metadata.Pairs(cmdMeta, "echo"))
			resp, err := srv.(*testServer).command(ctx, req)
			if err != nil {
				return nil, err
			}
			return &resp, nil
		},
	}},
	Streams: []grpc.StreamDesc{
		{StreamName: "Download", ServerStreams: true, Handler: download},
		{StreamName: "Upload", ClientStreams: true, Handler: upload},
		{StreamName: "Chat", ServerStreams: true, ClientStreams: true, Handler: chat},
	},
}

// download: the request is two big-endian uint32, count and size; the
// reply is count messages of size bytes, message i filled by fill(i).
func download(_ any, ss grpc.ServerStream) error {
	var req []byte
	if err := ss.RecvMsg(&req); err != nil {
		return err
	}
	if len(req) != 8 {
		return status.Error(codes.InvalidArgument, "want 8 bytes")
	}
	count, size := binary.BigEndian.Uint32(req), binary.BigEndian.Uint32(req[4:])
	ss.SetTrailer(metadata.Pairs(cmdMeta, "download"))
	for i := range count {
		m := fill(int(i), int(size))
		if err := ss.SendMsg(&m); err != nil {
			return err
		}
	}
	return nil
}

// upload checks each message i against fill(i, len) and replies with the
// total length as a big-endian uint64. A message cmdFail... ends the call
// with that status at once (the client may still be uploading).
func upload(srv any, ss grpc.ServerStream) error {
	ss.SetTrailer(metadata.Pairs(cmdMeta, "upload"))
	var total uint64
	for i := 0; ; i++ {
		var m []byte
		err := ss.RecvMsg(&m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(m), cmdFail) {
			_, err := srv.(*testServer).command(ss.Context(), m)
			return err
		}
		if !checkFill(i, m) {
			return status.Errorf(codes.DataLoss, "message %d corrupted", i)
		}
		total += uint64(len(m))
	}
	resp := binary.BigEndian.AppendUint64(nil, total)
	return ss.SendMsg(&resp)
}

// chat answers each message as command does, in order.
func chat(srv any, ss grpc.ServerStream) error {
	ss.SetTrailer(metadata.Pairs(cmdMeta, "chat"))
	for {
		var m []byte
		err := ss.RecvMsg(&m)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := srv.(*testServer).command(ss.Context(), m)
		if err != nil {
			return err
		}
		if err := ss.SendMsg(&resp); err != nil {
			return err
		}
	}
}

// fill returns message i of n bytes: a pattern that depends on i and on
// the position, so that mixed-up or shifted bytes are seen.
func fill(i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*31 + j + j/251)
	}
	return b
}

func checkFill(i int, b []byte) bool {
	for j := range b {
		if b[j] != byte(i*31+j+j/251) {
			return false
		}
	}
	return true
}

// newGRPCServer returns a grpc-go server with the service and the
// message size limits.
func newGRPCServer(ts *testServer, opts ...grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(maxMsg), grpc.MaxSendMsgSize(maxMsg))
	gs := grpc.NewServer(opts...)
	gs.RegisterService(&serviceDesc, ts)
	return gs
}

// testCert returns the tests' self-signed certificate for 127.0.0.1 and
// localhost and a pool that trusts it.
func testCert(testing.TB) (tls.Certificate, *x509.CertPool) {
	c := testpki.Localhost()
	return c.TLS, c.Pool()
}
