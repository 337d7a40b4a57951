package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/fakeazure"
	"github.com/miscope/miscope/ui"
)

// fake serves the demo tenant over the real Entra, Graph and ARM protocols for the tests of the live path; the
// environment points miscope at it exactly as `make fake` tells a user to.
var fake *fakeazure.Server

func TestMain(m *testing.M) {
	t, err := demo.Tenant()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fake = fakeazure.New(t, fakeazure.Options{})
	// Go reads SSL_CERT_FILE once, at the first TLS handshake, so it is set before any test runs.
	for _, kv := range fake.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	fake.Close()
	os.Exit(code)
}

// TestLiveCommandsOnlyRead runs collect, report and an explorer session against the fake Azure through the real
// SDKs, as a user would with `make fake`, and asserts that nothing but reads was sent.
func TestLiveCommandsOnlyRead(t *testing.T) {
	fake.ResetCounts()
	dir := t.TempDir()
	snap := filepath.Join(dir, "live.json.gz")
	if code, _, errOut := runCmd(t, "collect", "--auth", "environment", "--no-cache", "-o", snap); code != 0 {
		t.Fatalf("collect exit %d: %s", code, errOut)
	}
	code, out, errOut := runCmd(t, "report", "--auth", "environment", "--no-cache", "--format", "markdown")
	if code != 0 || !strings.Contains(out, "Contoso Pharma") {
		t.Fatalf("report exit %d: %s %.200s", code, errOut, out)
	}

	// An explorer session: the list, then one identity's detail, through the same source flags main uses.
	sf := sourceFlags{noCache: true}
	sf.live.Auth = "environment"
	src, err := sf.open(context.Background(), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tm := teatest.NewTestModel(t, ui.New(ui.Options{Source: src}), teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "aa-entra-housekeeping") },
		teatest.WithDuration(20*time.Second))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "Attached resources") },
		teatest.WithDuration(20*time.Second))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	c := fake.Requests()
	t.Logf("requests: %v", c.By)
	if c.Writes != 0 {
		t.Errorf("collect, report and an explorer session attempted %d writes", c.Writes)
	}
	if c.By["GET graph"] == 0 || c.By["GET arm"] == 0 || c.By["POST token"] == 0 {
		t.Errorf("the live path did not run through Graph, ARM and the token endpoint: %v", c.By)
	}
	for kind := range c.By {
		method, _, _ := strings.Cut(kind, " ")
		switch {
		case method == "GET":
		case method == "POST" && (strings.Contains(kind, "$batch") || strings.Contains(kind, "token") ||
			strings.Contains(kind, "arg")):
		default:
			t.Errorf("miscope sent %q requests", kind)
		}
	}
}
