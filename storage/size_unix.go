//go:build unix

package storage

import (
	"os"
	"syscall"
)

// diskUsage returns the bytes allocated to a file, which for a sparse file
// is less than its size.
func diskUsage(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
