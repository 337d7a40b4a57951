//go:build unix

package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/snapshot"
)

// pipe makes a named pipe and returns its path and a function that writes to it; the writer opens on the first
// write, so the reader's Open can be called first. end closes the writing side.
func pipe(t *testing.T) (path string, write func([]byte), end func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tenant.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			close(opened)
			return
		}
		opened <- w
	}()
	var w *os.File
	get := func() *os.File {
		if w == nil {
			w = <-opened
		}
		return w
	}
	write = func(b []byte) {
		if f := get(); f != nil {
			f.Write(b)
		}
	}
	end = func() {
		if f := get(); f != nil {
			f.Close()
		}
	}
	t.Cleanup(end)
	return path, write, end
}

// openAsync opens path in the background, since opening a pipe waits for its writer.
func openAsync(path string) <-chan *snapshot.Source {
	ch := make(chan *snapshot.Source, 1)
	go func() {
		src, err := snapshot.Open(path)
		if err != nil {
			src = nil
		}
		ch <- src
	}()
	return ch
}

// TestIdentitiesBeforeTheRest: the identity list is served while the rest of the file has not even been written, and
// the rest is waited for.
func TestIdentitiesBeforeTheRest(t *testing.T) {
	tn := demo.Synthetic(2500, 7)
	raw := encode(t, tn, false)
	cut := bytes.Index(raw, []byte(`,"resources":`))
	if cut < 0 {
		t.Fatal("no resources in the encoded tenant")
	}
	path, write, end := pipe(t)
	opening := openAsync(path)
	write(raw[:cut+5])
	src := <-opening
	if src == nil {
		t.Fatal("not opened")
	}
	defer src.Close()

	ids, _, err := collect(t, src, context.Background())
	if err != nil || !reflect.DeepEqual(ids, tn.Identities) {
		t.Fatalf("%d identities before the rest of the file, %v", len(ids), err)
	}
	if src.Info().TenantName != tn.DisplayName {
		t.Errorf("info %+v before the rest of the file", src.Info())
	}
	select {
	case <-src.Done():
		t.Fatal("done before the file was complete")
	default:
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.AzureRoles(short, tn.Identities[0].ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a section answered before the file was read: %v", err)
	}

	write(raw[cut+5:])
	end()
	if err := src.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := src.Tenant(context.Background(), nil)
	if err != nil || !reflect.DeepEqual(got, tn) {
		t.Fatalf("tenant differs (%v)", err)
	}
}

// TestLateFault: a file cut short after its identities is still refused, by Wait, Tenant and the sections.
func TestLateFault(t *testing.T) {
	tn := demo.Synthetic(1200, 8)
	raw := encode(t, tn, false)
	cut := bytes.Index(raw, []byte(`,"roleAssignments":`))
	path, write, end := pipe(t)
	opening := openAsync(path)
	write(raw[:cut+100])
	src := <-opening
	if src == nil {
		t.Fatal("not opened")
	}
	defer src.Close()
	if ids, _, err := collect(t, src, context.Background()); err != nil || len(ids) != 1200 {
		t.Fatalf("%d identities, %v", len(ids), err)
	}
	end()
	checkRefusal(t, src.Wait(context.Background()), path, "truncated")
	_, err := src.Groups(context.Background(), tn.Identities[0].ID)
	checkRefusal(t, err, path, "truncated")
	_, err = src.Tenant(context.Background(), nil)
	checkRefusal(t, err, path, "truncated")
}

// TestFaultInTheIdentities: pages read before a fault in the identity list are shown, then Identities returns it.
func TestFaultInTheIdentities(t *testing.T) {
	tn := demo.Synthetic(2500, 9)
	raw := encode(t, tn, false)
	// Somewhere in the third page: two full pages are out by then.
	cut := bytes.Index(raw, []byte(tn.Identities[2*data.PageSize+10].ID))
	path, write, end := pipe(t)
	opening := openAsync(path)
	write(raw[:cut])
	write([]byte(`"], "broken`))
	end()
	src := <-opening
	if src == nil {
		t.Fatal("not opened")
	}
	defer src.Close()
	ids, pages, err := collect(t, src, context.Background())
	checkRefusal(t, err, path, "corrupt JSON")
	if pages != 2 || !reflect.DeepEqual(ids, tn.Identities[:2*data.PageSize]) {
		t.Errorf("%d pages, %d identities before the fault", pages, len(ids))
	}
}

// TestMarkerAfterTheTenant: identities of a file that puts its snapshot marker after the tenant are held back until
// the marker is read, and never shown when it turns out wrong.
func TestMarkerAfterTheTenant(t *testing.T) {
	head := []byte(`{"tenant": {"id": "t", "displayName": "Contoso", "identities": [{"id": "a", "kind": "user-assigned"}]}`)
	for _, tc := range []struct {
		tail   string
		reason string // "" when the file is good
	}{
		{tail: `, "format": "miscope-snapshot", "version": 1}`},
		{tail: `, "format": "miscope-snapshot", "version": 99}`, reason: "newer miscope"},
		{tail: `, "format": "something-else", "version": 1}`, reason: "not a snapshot"},
	} {
		t.Run(tc.tail, func(t *testing.T) {
			path, write, end := pipe(t)
			opening := openAsync(path)
			write(head)
			src := <-opening
			if src == nil {
				t.Fatal("not opened")
			}
			defer src.Close()
			if src.Info().TenantName != "Contoso" {
				t.Errorf("info %+v", src.Info())
			}
			short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if ids, _, err := collect(t, src, short); len(ids) != 0 || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("showed %d identities before the marker (%v)", len(ids), err)
			}
			write([]byte(tc.tail))
			end()
			ids, _, err := collect(t, src, context.Background())
			if tc.reason == "" {
				if err != nil || len(ids) != 1 {
					t.Fatalf("%d identities, %v", len(ids), err)
				}
				return
			}
			if len(ids) != 0 {
				t.Errorf("showed %d identities of a refused file", len(ids))
			}
			checkRefusal(t, err, path, tc.reason)
		})
	}
}

// TestCloseStopsTheRead: closing a source whose file is still coming ends the read at once, and readers waiting
// for the rest get a reason rather than hanging.
func TestCloseStopsTheRead(t *testing.T) {
	raw := encode(t, demo.Synthetic(100, 4), false)
	path, write, _ := pipe(t)
	opening := openAsync(path)
	write(raw[:len(raw)/2])
	src := <-opening
	if src == nil {
		t.Fatal("not opened")
	}
	waited := make(chan error, 1)
	go func() { waited <- src.Wait(context.Background()) }()
	closed := make(chan struct{})
	go func() { src.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the file was still being written")
	}
	select {
	case <-src.Done():
	default:
		t.Fatal("the read goes on after Close")
	}
	checkRefusal(t, <-waited, path, "closed before it was read completely")
}

// TestOpenStopsWhenCancelled: a snapshot that is a named pipe nobody writes to, or one whose writer sends nothing,
// does not hold Open once its context is cancelled (as on Ctrl-C).
func TestOpenStopsWhenCancelled(t *testing.T) {
	for _, writer := range []bool{false, true} {
		t.Run(fmt.Sprintf("writer=%v", writer), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tenant.json")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("no named pipes here: %v", err)
			}
			if writer {
				go func() {
					w, err := os.OpenFile(path, os.O_WRONLY, 0)
					if err == nil {
						t.Cleanup(func() { w.Close() })
					}
				}()
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				src, err := snapshot.OpenContext(ctx, path)
				if src != nil {
					src.Close()
				}
				done <- err
			}()
			time.Sleep(100 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled Open returned %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Open goes on after its context was cancelled")
			}
			if !writer { // let the open that waits for a writer end
				if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
			}
		})
	}
}
