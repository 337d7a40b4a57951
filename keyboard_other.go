//go:build !linux

package main

import "os"

// keyboard is where the explorer reads keys; only Linux opens the terminal again for Go's poller (keyboard_linux.go).
type keyboard = os.File

func openKeyboard() *keyboard { return nil }
