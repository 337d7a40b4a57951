package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// mailbox carries messages from a long-running fetch (the identity pages, the assessment's progress) to Update. The
// producer never blocks, so a fetch finishes even when nobody reads any more, and the reader takes what queued up
// together, so a fast producer costs one Update per frame rather than one per page. A limit bounds what one Update
// takes, and when more is waiting the next delivery comes a frame later: keys typed while 50,000 identities arrive
// find Update free between pages instead of behind all of them.
type mailbox struct {
	mu     sync.Mutex
	items  []tea.Msg
	closed bool
	signal chan struct{}
	limit  int // the most items one delivery takes; 0 takes all
}

// breather is the pause between two deliveries of a mailbox that had more waiting than its limit: half a frame.
const breather = 4 * time.Millisecond

func newMailbox(limit int) *mailbox { return &mailbox{signal: make(chan struct{}, 1), limit: limit} }

// put queues msg for the reader.
func (b *mailbox) put(msg tea.Msg) {
	b.mu.Lock()
	b.items = append(b.items, msg)
	b.mu.Unlock()
	b.notify()
}

// close says nothing more will come.
func (b *mailbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.notify()
}

func (b *mailbox) notify() {
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// mailMsg is what the reader of a mailbox delivers: every message that queued up, and whether the box is finished.
type mailMsg struct {
	box  *mailbox
	msgs []tea.Msg
	done bool
}

// next waits for the mailbox in a command.
func (b *mailbox) next(ctx context.Context) tea.Cmd {
	return func() tea.Msg {
		b.mu.Lock()
		behind := b.limit > 0 && len(b.items) > 0 // more than the last delivery took is waiting
		b.mu.Unlock()
		if behind {
			select {
			case <-time.After(breather):
			case <-ctx.Done():
				return nil
			}
		}
		for {
			b.mu.Lock()
			items, closed := b.items, b.closed
			b.items = nil
			if b.limit > 0 && len(items) > b.limit {
				items, b.items, closed = items[:b.limit:b.limit], items[b.limit:], false
			}
			b.mu.Unlock()
			if len(items) > 0 || closed {
				return mailMsg{box: b, msgs: items, done: closed}
			}
			select {
			case <-b.signal:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
