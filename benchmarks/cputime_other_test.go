//go:build !linux

package benchmarks

import "time"

// threadCPU and processCPU measure nothing where the clocks are not
// read: the CPU figures then read 0.
func threadCPU() time.Duration { return 0 }

func processCPU() time.Duration { return 0 }
