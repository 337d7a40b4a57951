//go:build !unix

package assess_test

import "time"

// cpuTime is not read here.
func cpuTime() (time.Duration, bool) { return 0, false }
