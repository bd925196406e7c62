//go:build !unix

package storage

import "os"

// diskUsage returns the size of a file.
func diskUsage(info os.FileInfo) int64 { return info.Size() }
