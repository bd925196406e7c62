//go:build unix

package storage

import "golang.org/x/sys/unix"

// statfsFree returns the bytes available to an unprivileged process on the
// filesystem holding path.
func statfsFree(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
