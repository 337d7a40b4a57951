package snapshot

import (
	"fmt"
	"io"
	"sort"
)

// Limits on what one snapshot may hold, so that a hostile file costs time and memory in proportion to the tenant it
// carries rather than to how it is written. A snapshot miscope writes stays far below each of them: its deepest value
// is nested 7 levels, its longest string is a few kilobytes, its largest list element (an application with its hosts
// and credentials) a few tens of kilobytes.
const (
	// MaxDepth is how deeply arrays and objects may nest.
	MaxDepth = 64
	// MaxString is the longest string, number or literal, in bytes as written (escapes included).
	MaxString = 1 << 20
	// MaxValue is the largest value read whole: one element of a list, or one of the envelope's and tenant's own
	// fields. Lists themselves are read an element at a time and may be as long as MaxSize allows.
	MaxValue = 8 << 20
)

// keepSpace is the longest run of white space between two tokens passed on to the JSON decoder; the rest of the run
// is dropped. encoding/json's Decoder looks for the next token by rescanning everything it holds from the end of the
// last one, each time it reads more, so a run of megabytes of white space costs time quadratic in its length.
const keepSpace = 256

// guard sits between the (decompressed) file and the JSON decoder. It follows the JSON lexically, byte by byte, in
// one pass: it refuses nesting, strings and values beyond the limits above with a fault naming the limit, and it
// shortens long runs of white space, remembering where it did so that a syntax error can still name its byte in the
// file.
type guard struct {
	r   io.Reader
	err error // sticky: once refused, every read returns it

	inString bool
	escaped  bool
	depth    int
	run      int // length of the current string, number or literal; or of the current run of white space
	space    bool

	out int64 // bytes passed on to the decoder
	// valueEnd, when positive, is the offset (in what was passed on) past which the value being read whole would
	// exceed MaxValue.
	valueEnd int64

	// dropped records each shortened run: at offset at (in what was passed on), total bytes had been dropped before.
	dropped []drop
	base    int64 // bytes dropped before the first entry still kept in dropped
}

type drop struct{ at, total int64 }

func newGuard(r io.Reader, skipped int64) *guard { return &guard{r: r, base: skipped} }

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	for {
		if g.valueEnd > 0 {
			// Never pass on more than the value may still take (what is dropped only makes it less), so that the
			// decoder asks for more only when the value really is larger.
			room := g.valueEnd - g.out
			if room <= 0 {
				g.err = g.fault(fmt.Sprintf("a single value (one element of a list) larger than %d bytes", MaxValue))
				return 0, g.err
			}
			if int64(len(p)) > room {
				p = p[:room]
			}
		}
		n, err := g.r.Read(p)
		w, ferr := g.filter(p[:n])
		if ferr != nil {
			g.err = ferr
			// Pass on what came before the fault: the decoder reports a fault it finds there first.
			return w, nil
		}
		if w > 0 || err != nil || n == 0 {
			return w, err
		}
		// Everything read was dropped white space: read on rather than return nothing.
	}
}

// filter rewrites p in place to what the decoder is given and returns its length.
func (g *guard) filter(p []byte) (int, error) {
	w := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case g.inString:
			g.run++
			if g.run > MaxString {
				return w, g.fault(fmt.Sprintf("a string longer than %d bytes", MaxString))
			}
			switch {
			case g.escaped:
				g.escaped = false
			case c == '\\':
				g.escaped = true
			case c == '"':
				g.inString = false
				g.run = 0
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if !g.space {
				g.space, g.run = true, 0
			}
			g.run++
			if g.run > keepSpace {
				g.drop(w)
				continue
			}
		default:
			if g.space {
				g.space, g.run = false, 0
			}
			switch c {
			case '"':
				g.inString, g.run = true, 0
			case '{', '[':
				g.depth++
				g.run = 0
				if g.depth > MaxDepth {
					return w, g.fault(fmt.Sprintf("nested deeper than %d levels", MaxDepth))
				}
			case '}', ']':
				g.depth = max(g.depth-1, 0)
				g.run = 0
			case ',', ':':
				g.run = 0
			default:
				g.run++
				if g.run > MaxString {
					return w, g.fault(fmt.Sprintf("a number or literal longer than %d bytes", MaxString))
				}
			}
		}
		p[w] = c
		w++
		g.out++
	}
	return w, nil
}

// drop notes one byte of white space left out at the current offset.
func (g *guard) drop(w int) {
	if k := len(g.dropped); k > 0 && g.dropped[k-1].at == g.out {
		g.dropped[k-1].total++
		return
	}
	total := g.base + 1
	if k := len(g.dropped); k > 0 {
		total = g.dropped[k-1].total + 1
	}
	g.dropped = append(g.dropped, drop{at: g.out, total: total})
}

func (g *guard) fault(limit string) error {
	return faultf("refused: %s at byte %d (the most a snapshot may hold; was the file made by `miscope collect`?)",
		limit, g.fileOffset(g.out))
}

// fileOffset turns an offset in what the decoder was given into one in the (decompressed) file.
func (g *guard) fileOffset(off int64) int64 {
	// Runs dropped at or before off: the last entry with at <= off.
	i := sort.Search(len(g.dropped), func(i int) bool { return g.dropped[i].at > off })
	if i == 0 {
		return off + g.base
	}
	return off + g.dropped[i-1].total
}

// forget lets go of what is known about runs dropped before off, which the decoder has read past: their count is
// kept, so fileOffset stays right for any later offset.
func (g *guard) forget(off int64) {
	i := sort.Search(len(g.dropped), func(i int) bool { return g.dropped[i].at >= off })
	if i == 0 {
		return
	}
	g.base = g.dropped[i-1].total
	g.dropped = append(g.dropped[:0], g.dropped[i:]...)
}

// beginValue says the decoder is about to read a value whole, starting at offset start of what it was given;
// endValue that it is done.
func (g *guard) beginValue(start int64) { g.valueEnd = start + MaxValue }

func (g *guard) endValue() { g.valueEnd = 0 }
