package report

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/assess"
	"github.com/miscope/miscope/data/triage"
)

// renderOptions say which document the tests render, as `miscope report` would with these flags.
type renderOptions struct {
	Format    string
	Inventory bool
	Triage    string      // a triage file to apply ("" for none)
	Baseline  data.Source // an earlier read to compare with
}

// document builds what `miscope report` writes for src, its decisions taken at triageNow.
func document(t *testing.T, src data.Source, o renderOptions) *Document {
	t.Helper()
	build := func(src data.Source) *Document {
		tn, err := src.Tenant(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		x := data.NewIndex(tn)
		return Build(x, assess.Assess(x), src.Info())
	}
	d := build(src)
	decisions := &triage.File{Version: triage.FileVersion}
	if o.Triage != "" {
		var err error
		if decisions, err = triage.Load(o.Triage); err != nil {
			t.Fatal(err)
		}
	}
	d.ApplyTriage(decisions, triageNow)
	if o.Baseline != nil {
		d.ApplyBaseline(build(o.Baseline))
	}
	return d
}

// render writes the document in the format named.
func render(t *testing.T, src data.Source, o renderOptions) string {
	t.Helper()
	write := map[string]func(io.Writer, *Document) error{"": WriteJSON, "json": WriteJSON, "csv": WriteCSV,
		"markdown": WriteMarkdown, "md": WriteMarkdown, "sarif": WriteSARIF}[o.Format]
	if o.Inventory {
		write = WriteInventoryCSV
	}
	var out bytes.Buffer
	if err := write(&out, document(t, src, o)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
