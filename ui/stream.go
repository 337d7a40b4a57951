package ui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// mailbox carries messages from a long-running fetch (the identity pages, the assessment's progress) to Update. The
// producer never blocks, so a fetch finishes even when nobody reads any more, and the reader takes everything that
// queued up at once, so a fast producer costs one Update per frame rather than one per page.
type mailbox struct {
	mu     sync.Mutex
	items  []tea.Msg
	closed bool
	signal chan struct{}
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

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
		for {
			b.mu.Lock()
			items, closed := b.items, b.closed
			b.items = nil
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
