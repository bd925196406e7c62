//go:build !unix

package storage

import "errors"

// statfsFree is not implemented here: the guard lets every write go.
func statfsFree(path string) (int64, error) {
	return 0, errors.New("free space unknown on this platform")
}
