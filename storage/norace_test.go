//go:build !race

package storage

// raceEnabled is set when the tests run under the race detector.
const raceEnabled = false
