// Package layering holds no code: its test enforces the import layers of
// h2kit, the layer table of ARCHITECTURE.md (read from that file), over
// every package of the module.
//
// Run it with
//
//	go test ./internal/layering
//
// A new package fails the test until a row for it is added to the table in
// ARCHITECTURE.md.
package layering
