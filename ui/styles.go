package ui

import (
	"charm.land/lipgloss/v2"

	"github.com/miscope/miscope/data/assess"
)

// styles holds every style of the program. Colours are the terminal's own 16 (so they follow its theme) and never
// carry meaning alone: severities are written out, the cursor is reverse video with a marker, errors say "error".
// Bubble Tea downsamples per output, so under NO_COLOR only the attributes (bold, reverse, underline) remain.
type styles struct {
	Crumb, CrumbSep, Title, Header, Dim, Selected, Marker lipgloss.Style
	Status, StatusKey, Flash, Error, Gap, Section, Key    lipgloss.Style
	Severity                                              map[assess.Severity]lipgloss.Style
}

func defaultStyles() styles {
	return styles{
		Crumb:     lipgloss.NewStyle().Bold(true),
		CrumbSep:  lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Title:     lipgloss.NewStyle().Bold(true),
		Header:    lipgloss.NewStyle().Bold(true),
		Dim:       lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Marker:    lipgloss.NewStyle().Bold(true),
		Status:    lipgloss.NewStyle().Reverse(true),
		StatusKey: lipgloss.NewStyle().Reverse(true).Bold(true),
		Flash:     lipgloss.NewStyle().Bold(true),
		Error:     lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		Gap:       lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		Section:   lipgloss.NewStyle().Bold(true),
		Key:       lipgloss.NewStyle().Bold(true),
		Severity: map[assess.Severity]lipgloss.Style{
			assess.Critical: lipgloss.NewStyle().Foreground(lipgloss.BrightRed).Bold(true),
			assess.High:     lipgloss.NewStyle().Foreground(lipgloss.Red),
			assess.Medium:   lipgloss.NewStyle().Foreground(lipgloss.Yellow),
			assess.Low:      lipgloss.NewStyle().Foreground(lipgloss.Cyan),
			assess.Info:     lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		},
	}
}
