package grpcinterop

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/h2kit/h2kit/internal/testpeer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/h2kit/h2kit/h2client"
	"github.com/h2kit/h2kit/h2server"
)

// TestGRPCGoClientToH2Server: grpc-go's server mounted with ServeHTTP on
// h2server, over TLS (ALPN h2) and h2c (prior knowledge), called by
// grpc-go's client.
func TestGRPCGoClientToH2Server(t *testing.T) {
	for _, useTLS := range []bool{true, false} {
		name := map[bool]string{true: "tls", false: "h2c"}[useTLS]
		t.Run(name, func(t *testing.T) {
			ts := newTestServer()
			gs := newGRPCServer(ts)
			addr := serveH2Server(t, gs, useTLS)
			runSuite(t, newGRPCGoClient(t, addr, useTLS), ts)
		})
	}
}

// TestConnectOnH2ClientToGRPCServer: connect-go's gRPC client with
// h2client's Transport as its http.Client's transport, against grpc-go's
// own server (grpc.Server.Serve), over TLS and h2c.
func TestConnectOnH2ClientToGRPCServer(t *testing.T) {
	for _, useTLS := range []bool{true, false} {
		name := map[bool]string{true: "tls", false: "h2c"}[useTLS]
		t.Run(name, func(t *testing.T) {
			ts := newTestServer()
			addr := serveGRPC(t, ts, useTLS)
			tr := &h2client.Transport{AllowHTTP: !useTLS}
			base := "http://" + addr
			if useTLS {
				_, pool := testCert(t)
				tr.TLSClientConfig = &tls.Config{RootCAs: pool}
				base = "https://" + addr
			}
			t.Cleanup(tr.CloseIdleConnections)
			runSuite(t, newConnectClient(&http.Client{Transport: tr}, base), ts)
		})
	}
}

// TestGRPCGoReference runs the suite between grpc-go's own client and
// server: the cases themselves are right when this passes.
func TestGRPCGoReference(t *testing.T) {
	ts := newTestServer()
	addr := serveGRPC(t, ts, true)
	runSuite(t, newGRPCGoClient(t, addr, true), ts)
}

// serveH2Server serves gs on h2server and returns the address.
func serveH2Server(t *testing.T, gs *grpc.Server, useTLS bool) string {
	l := testpeer.Listen(t)
	srv := &h2server.Server{}
	hs := &http.Server{Handler: gs}
	if useTLS {
		cert, _ := testCert(t)
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if err := h2server.ConfigureServer(hs, srv); err != nil {
			t.Fatal(err)
		}
		go hs.ServeTLS(l, "", "")
	} else {
		go srv.ServeH2C(l, hs)
	}
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		gs.Stop()
	})
	return l.Addr().String()
}

// serveGRPC serves the service with grpc-go's own server.
func serveGRPC(t *testing.T, ts *testServer, useTLS bool) string {
	var opts []grpc.ServerOption
	if useTLS {
		cert, _ := testCert(t)
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	gs := newGRPCServer(ts, opts...)
	l := testpeer.Listen(t)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	return l.Addr().String()
}

// grpcGoClient adapts grpc-go's client to rpcClient.
type grpcGoClient struct{ cc *grpc.ClientConn }

func newGRPCGoClient(t *testing.T, addr string, useTLS bool) rpcClient {
	creds := insecure.NewCredentials()
	if useTLS {
		_, pool := testCert(t)
		creds = credentials.NewTLS(&tls.Config{RootCAs: pool})
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(rawCodec{}.Name()),
			grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return grpcGoClient{cc}
}

func method(name string) string { return "/" + serviceName + "/" + name }

func mdValue(md metadata.MD) string {
	if v := md.Get(cmdMeta); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c grpcGoClient) unary(ctx context.Context, req []byte) ([]byte, string, error) {
	var resp []byte
	var md metadata.MD
	err := c.cc.Invoke(ctx, method("Echo"), &req, &resp, grpc.Trailer(&md))
	return resp, mdValue(md), err
}

func (c grpcGoClient) download(ctx context.Context, count, size int) ([][]byte, string, error) {
	cs, err := c.cc.NewStream(ctx, &serviceDesc.Streams[0], method("Download"))
	if err != nil {
		return nil, "", err
	}
	req := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(count)), uint32(size))
	if err := cs.SendMsg(&req); err != nil && err != io.EOF {
		return nil, "", err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, "", err
	}
	var msgs [][]byte
	for {
		var m []byte
		err := cs.RecvMsg(&m)
		if err == io.EOF {
			return msgs, mdValue(cs.Trailer()), nil
		}
		if err != nil {
			return msgs, mdValue(cs.Trailer()), err
		}
		msgs = append(msgs, m)
	}
}

func (c grpcGoClient) upload(ctx context.Context, msgs [][]byte) ([]byte, string, error) {
	cs, err := c.cc.NewStream(ctx, &serviceDesc.Streams[1], method("Upload"))
	if err != nil {
		return nil, "", err
	}
	for _, m := range msgs {
		if err := cs.SendMsg(&m); err != nil {
			break // io.EOF: the server ended the call; RecvMsg has its status
		}
	}
	cs.CloseSend()
	var resp []byte
	err = cs.RecvMsg(&resp)
	return resp, mdValue(cs.Trailer()), err
}

func (c grpcGoClient) chat(ctx context.Context) (chatStream, error) {
	cs, err := c.cc.NewStream(ctx, &serviceDesc.Streams[2], method("Chat"))
	if err != nil {
		return nil, err
	}
	return grpcGoChat{cs}, nil
}

func (grpcGoClient) code(err error) codes.Code { return status.Code(err) }

type grpcGoChat struct{ cs grpc.ClientStream }

func (s grpcGoChat) send(m []byte) error {
	if err := s.cs.SendMsg(&m); err != io.EOF {
		return err
	}
	return nil // the call is over: recv reports its status
}

func (s grpcGoChat) recv() ([]byte, error) {
	var m []byte
	err := s.cs.RecvMsg(&m)
	return m, err
}

func (s grpcGoChat) closeSend() error { return s.cs.CloseSend() }
func (s grpcGoChat) trailer() string  { return mdValue(s.cs.Trailer()) }

// connectCodec is rawCodec for connect-go: the same name, so the
// content-type is application/grpc+raw as grpc-go's.
type connectCodec struct{ rawCodec }

// connectClient adapts connect-go's gRPC client to rpcClient.
type connectClient struct {
	echo, download_, upload_, chat_ *connect.Client[[]byte, []byte]
}

func newConnectClient(hc *http.Client, base string) rpcClient {
	opts := []connect.ClientOption{connect.WithGRPC(), connect.WithCodec(connectCodec{}),
		connect.WithReadMaxBytes(maxMsg), connect.WithSendMaxBytes(maxMsg)}
	nc := func(name string) *connect.Client[[]byte, []byte] {
		return connect.NewClient[[]byte, []byte](hc, base+method(name), opts...)
	}
	return connectClient{nc("Echo"), nc("Download"), nc("Upload"), nc("Chat")}
}

// errMeta is the x-meta trailer a connect error carries.
func errMeta(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Meta().Get(cmdMeta)
	}
	return ""
}

func (c connectClient) unary(ctx context.Context, req []byte) ([]byte, string, error) {
	resp, err := c.echo.CallUnary(ctx, connect.NewRequest(&req))
	if err != nil {
		return nil, errMeta(err), err
	}
	return *resp.Msg, resp.Trailer().Get(cmdMeta), nil
}

func (c connectClient) download(ctx context.Context, count, size int) ([][]byte, string, error) {
	req := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(count)), uint32(size))
	ss, err := c.download_.CallServerStream(ctx, connect.NewRequest(&req))
	if err != nil {
		return nil, errMeta(err), err
	}
	defer ss.Close()
	var msgs [][]byte
	for ss.Receive() {
		msgs = append(msgs, *ss.Msg())
	}
	if err := ss.Err(); err != nil {
		return msgs, errMeta(err), err
	}
	return msgs, ss.ResponseTrailer().Get(cmdMeta), nil
}

func (c connectClient) upload(ctx context.Context, msgs [][]byte) ([]byte, string, error) {
	cs := c.upload_.CallClientStream(ctx)
	for _, m := range msgs {
		if err := cs.Send(&m); err != nil {
			break // wraps io.EOF: the server ended the call
		}
	}
	resp, err := cs.CloseAndReceive()
	if err != nil {
		return nil, errMeta(err), err
	}
	return *resp.Msg, resp.Trailer().Get(cmdMeta), nil
}

func (c connectClient) chat(ctx context.Context) (chatStream, error) {
	return &connectChat{bs: c.chat_.CallBidiStream(ctx)}, nil
}

func (connectClient) code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return codes.Code(connect.CodeOf(err))
}

type connectChat struct {
	bs      *connect.BidiStreamForClient[[]byte, []byte]
	lastErr error
}

func (s *connectChat) send(m []byte) error {
	if err := s.bs.Send(&m); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil // wrapping io.EOF: the call is over, recv reports its status
}

func (s *connectChat) recv() ([]byte, error) {
	m, err := s.bs.Receive()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		s.lastErr = err
		return nil, err
	}
	return *m, nil
}

func (s *connectChat) closeSend() error { return s.bs.CloseRequest() }

func (s *connectChat) trailer() string {
	if v := s.bs.ResponseTrailer().Get(cmdMeta); v != "" {
		return v
	}
	return errMeta(s.lastErr)
}

// TestConnectMapsResetCodes: a server that resets a gRPC call with
// RST_STREAM INTERNAL_ERROR (an h2server handler aborting, before and
// after the response head) is reported by connect-go over h2client as
// internal, which connect-go decides from the error's text: it must read
// as Go's HTTP/2 (else connect-go reports unavailable).
func TestConnectMapsResetCodes(t *testing.T) {
	for _, afterHead := range []bool{false, true} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if afterHead {
				w.Header().Set("Content-Type", "application/grpc+raw")
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
			}
			panic(http.ErrAbortHandler) // RST_STREAM INTERNAL_ERROR
		})
		l := testpeer.Listen(t)
		srv := &h2server.Server{}
		hs := &http.Server{Handler: h}
		go srv.ServeH2C(l, hs)
		t.Cleanup(func() { hs.Close(); srv.Close() })
		tr := &h2client.Transport{AllowHTTP: true}
		t.Cleanup(tr.CloseIdleConnections)
		c := newConnectClient(&http.Client{Transport: tr}, "http://"+l.Addr().String())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _, err := c.unary(ctx, []byte("x"))
		cancel()
		if got := c.code(err); got != codes.Internal {
			t.Errorf("after head %v: %v (code %v), want Internal", afterHead, err, got)
		}
	}
}
