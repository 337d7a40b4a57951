//go:build !linux

package data

// InBackground runs work. Only Linux lowers the priority of one thread of a process; elsewhere work runs as it is.
func InBackground(work func()) { work() }
