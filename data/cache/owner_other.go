//go:build !unix

package cache

import "io/fs"

// checkModes: permission bits do not say who may read and write a file here; the user's cache folder is private to
// the user by default.
const checkModes = false

const noFollow = 0

// ownedByUser is not told from the file here.
func ownedByUser(fs.FileInfo) bool { return true }
