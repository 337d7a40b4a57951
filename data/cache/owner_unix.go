//go:build unix

package cache

import (
	"io/fs"
	"os"
	"syscall"
)

// checkModes: permission bits say who may read and write a file here.
const checkModes = true

// noFollow makes opening a symbolic link fail rather than open what it points to.
const noFollow = syscall.O_NOFOLLOW

// ownedByUser says whether the file belongs to the user miscope runs as.
func ownedByUser(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
