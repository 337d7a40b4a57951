package data

import (
	"strings"
	"testing"
)

// BenchmarkCleanFrame cleans a full 300x100 frame of styled text, box lines and names: the cost every render pays.
func BenchmarkCleanFrame(b *testing.B) {
	line := "\x1b[7m› aa-identity-name-" + strings.Repeat("x", 40) + "\x1b[m  \x1b[90msystem-assigned · rg-web · 3 findings\x1b[m" +
		strings.Repeat("─", 180) + "…"
	frame := strings.Repeat(line+"\n", 100)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if CleanFrame(frame) != frame {
			b.Fatal("a clean frame was changed")
		}
	}
}
