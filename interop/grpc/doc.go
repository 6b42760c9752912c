// Package grpcinterop holds h2kit's gRPC interop tests, in a module of
// their own so that the main module depends on golang.org/x/net only.
package grpcinterop
