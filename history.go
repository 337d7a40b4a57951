package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miscope/miscope/data"
)

// historyLayout names the snapshots of `collect --history`: UTC time first, so that names sort as times do.
const historyLayout = "20060102T150405Z"

// historyName is the file name of a snapshot collected at t.
func historyName(t time.Time) string { return "miscope-" + t.UTC().Format(historyLayout) + ".json.gz" }

// historySnapshots lists the snapshots of a history folder, oldest first.
func historySnapshots(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, usageError{fmt.Sprintf("cannot read the history folder: %v", err)}
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, "miscope-") || !strings.HasSuffix(name, ".json.gz") {
			continue
		}
		if _, err := time.Parse(historyLayout, strings.TrimSuffix(strings.TrimPrefix(name, "miscope-"), ".json.gz")); err != nil {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	slices.Sort(out)
	return out, nil
}

// newestSnapshots returns the n newest snapshots of a history folder, oldest first.
func newestSnapshots(dir string, n int) ([]string, error) {
	all, err := historySnapshots(dir)
	if err != nil {
		return nil, err
	}
	if len(all) < n {
		return nil, usageError{fmt.Sprintf("%s holds %s; diff needs two (run miscope collect --history %s again)",
			dir, data.Plural(len(all), "snapshot", "snapshots"), dir)}
	}
	return all[len(all)-n:], nil
}

// pruneHistory removes the oldest snapshots of a history folder so that keep remain.
func pruneHistory(dir string, keep int) error {
	all, err := historySnapshots(dir)
	if err != nil {
		return err
	}
	for _, old := range all[:max(0, len(all)-keep)] {
		if err := os.Remove(old); err != nil {
			return fmt.Errorf("cannot remove an old snapshot from the history: %w", err)
		}
	}
	return nil
}
