//go:build race

package h2kit

const raceEnabled = true
