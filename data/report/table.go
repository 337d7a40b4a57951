package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miscope/miscope/data"
)

// Table is a grid of cells with a title, as a view of the explorer or a report section shows it. The writers below
// are the only place miscope encodes a table, so an export from the explorer and `miscope report` escape alike.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
	// Numeric marks the columns that hold numbers (a count): JSON writes such a cell as a number when it is one.
	Numeric []bool
	// Filter and Sort say which rows the view showed and in what order ("" for none), so an export says what it
	// holds: JSON and Markdown record them; CSV has no place for them.
	Filter, Sort string
}

// WriteTableCSV writes the column names and then every row (RFC 4180). Cells are cleaned of control characters and
// a cell a spreadsheet would run as a formula is neutralised (see CSVCell). The title is not written: CSV has no
// place for it.
func WriteTableCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	record := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		record[i] = CSVCell(c)
	}
	if err := cw.Write(record); err != nil {
		return err
	}
	for _, r := range t.Rows {
		record = record[:0]
		for i := range t.Columns {
			record = append(record, CSVCell(cell(r, i)))
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVCell cleans a cell and neutralises formula injection: a cell that begins (after spaces) with =, +, - or @ is
// run as a formula by spreadsheet programs, so it is prefixed with a single quote and shown as text.
func CSVCell(s string) string {
	s = data.Clean(s)
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}

// WriteTableJSON writes {"title": ..., "filter": ..., "sort": ..., "columns": [...], "rows": [{column: cell, ...}, ...]},
// with each row's keys in column order so the file reads like the table; filter and sort are null when the view had
// none. Cells are exact (what a terminal would act on is a JSON escape); a numeric column's numbers are numbers.
func WriteTableJSON(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	var buf []byte
	str := func(s string) {
		buf = appendJSONString(buf[:0], s)
		bw.Write(buf)
	}
	orNull := func(s string) {
		if s == "" {
			bw.WriteString("null")
		} else {
			str(s)
		}
	}
	bw.WriteString("{\n  \"title\": ")
	str(t.Title)
	bw.WriteString(",\n  \"filter\": ")
	orNull(t.Filter)
	bw.WriteString(",\n  \"sort\": ")
	orNull(t.Sort)
	bw.WriteString(",\n  \"columns\": [")
	for i, c := range t.Columns {
		if i > 0 {
			bw.WriteString(", ")
		}
		str(c)
	}
	bw.WriteString("],\n  \"rows\": [")
	keys := uniqueKeys(t.Columns)
	for n, r := range t.Rows {
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    {")
		for i, k := range keys {
			if i > 0 {
				bw.WriteString(", ")
			}
			str(k)
			bw.WriteString(": ")
			if c := cell(r, i); i < len(t.Numeric) && t.Numeric[i] && isNumber(c) {
				bw.WriteString(c)
			} else {
				str(c)
			}
		}
		bw.WriteByte('}')
	}
	if len(t.Rows) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// appendJSONString appends s as a JSON string. It leaves <, > and & as they are (they only matter inside HTML),
// escapes the quote, the backslash and any C0 control, makes a byte that is not UTF-8 U+FFFD (as encoding/json
// does), and escapes C1, bidi and invisible characters (data.AppendJSONSafe).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := len(dst)
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < 0x80:
			dst = append(dst, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	dst = append(dst, '"')
	return append(dst[:start], data.AppendJSONSafe(nil, dst[start:])...)
}

// isNumber reports whether a cell is a number as JSON spells one (digits, an optional sign, fraction and exponent).
func isNumber(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil || s == "" {
		return false
	}
	return json.Valid([]byte(s)) && strings.Trim(s, "-0123456789.eE+") == "" && s[0] != '+'
}

// uniqueKeys makes column names usable as object keys: a repeated name gets a number, so no cell is lost.
func uniqueKeys(cols []string) []string {
	used := map[string]bool{}
	keys := make([]string, len(cols))
	for i, c := range cols {
		k := c
		for n := 2; used[k]; n++ {
			k = c + "_" + strconv.Itoa(n)
		}
		used[k] = true
		keys[i] = k
	}
	return keys
}

// WriteTableMarkdown writes the title in bold and a GitHub-flavoured Markdown table. Every cell is cleaned and
// escaped (see MarkdownCell), so a tenant string can neither break the table nor inject a link or markup.
func WriteTableMarkdown(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	if t.Title != "" {
		bw.WriteString("**" + MarkdownCell(t.Title) + "**\n\n")
	}
	if how := tableScope(t); how != "" {
		bw.WriteString(how + "\n\n")
	}
	if len(t.Columns) == 0 {
		return bw.Flush()
	}
	line := func(cells func(i int) string) {
		bw.WriteByte('|')
		for i := range t.Columns {
			bw.WriteString(" " + cells(i) + " |")
		}
		bw.WriteByte('\n')
	}
	line(func(i int) string { return MarkdownCell(t.Columns[i]) })
	line(func(int) string { return "---" })
	for _, r := range t.Rows {
		line(func(i int) string { return MarkdownCell(cell(r, i)) })
	}
	return bw.Flush()
}

// tableScope says in Markdown which rows a table holds and in what order, or "" when it holds all, as they came.
func tableScope(t Table) string {
	var parts []string
	if t.Filter != "" {
		parts = append(parts, "filter: "+MarkdownCell(t.Filter))
	}
	if t.Sort != "" {
		parts = append(parts, "sorted by "+MarkdownCell(t.Sort))
	}
	if len(parts) == 0 {
		return ""
	}
	return "_" + strings.Join(parts, "; ") + "_"
}

var markdownEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "`", "\\`", `*`, `\*`, `_`, `\_`, `~`, `\~`,
	`[`, `\[`, `]`, `\]`, `&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`)

// MarkdownCell cleans a cell and escapes what Markdown would read as structure: the pipe that ends a cell, emphasis,
// code and link markers, and HTML.
func MarkdownCell(s string) string { return markdownEscaper.Replace(data.Clean(s)) }

// cell is row r's cell i, or "" for a short row.
func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}
