// Package demo provides miscope's demo tenant, Contoso Pharma, and a generator of synthetic tenants of any size.
//
// The demo tenant is built by readable code (Build) and shipped as a snapshot embedded in the binary (Tenant), so
// `miscope --demo` needs no network and no Azure account. A test keeps the two identical; after changing Build,
// regenerate the snapshot with `go generate ./data/demo`.
package demo

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/snapshot"
)

//go:generate go test . -run TestEmbeddedSnapshotMatchesBuild -args -update

// SnapshotFile is the embedded snapshot's name, relative to this package.
const SnapshotFile = "demo.json.gz"

//go:embed demo.json.gz
var embedded []byte

// Tenant decodes the embedded demo snapshot. Each call returns a fresh Tenant that the caller may keep or change.
func Tenant() (*data.Tenant, error) {
	t, origin, err := snapshot.Decode(bytes.NewReader(embedded), "embedded "+SnapshotFile)
	if err != nil {
		return nil, err
	}
	if origin != data.OriginDemo {
		return nil, fmt.Errorf("embedded %s: origin %q, want %q (regenerate it with `go generate ./data/demo`)",
			SnapshotFile, origin, data.OriginDemo)
	}
	return t, nil
}

// Info describes the demo tenant as a source, for the status bar and reports.
func Info() data.SourceInfo {
	return data.SourceInfo{Origin: data.OriginDemo, TenantID: TenantID, TenantName: TenantName, Label: "demo tenant",
		CollectedAt: collectedAt}
}
