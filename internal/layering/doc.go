// Package layering holds no code: its test enforces the import layers of
// h2kit, the "Layers" table of DESIGN.md, over every package of the module.
//
// Run it with
//
//	go test ./internal/layering
//
// A new package fails the test until it is added to the table (in DESIGN.md
// and in layers, in layering_test.go).
package layering
