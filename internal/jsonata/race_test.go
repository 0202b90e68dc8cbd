//go:build race

package jsonata

// raceEnabled tells whether the race detector is on: it slows goja
// several times over.
const raceEnabled = true
