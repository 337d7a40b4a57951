package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

var hostile = Table{
	Title:   "Managed *identities*",
	Columns: []string{"NAME", "NOTE", "NAME"},
	Rows: [][]string{
		{"=HYPERLINK(\"http://evil\")", "+1", "-2"},
		{"@SUM(A1)", "  =1+1", "plain"},
		{"evil\x1b[2J\x1b]52;c;cHduZWQ=\x07\u202egnp.exe\r\nX", "a|b", "[x](http://evil) <b>`c`</b>"},
		{"short"},
	},
}

func TestCSVNeutralisesFormulasAndControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTableCSV(&b, hostile); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	want := [][]string{
		{"NAME", "NOTE", "NAME"},
		{"'=HYPERLINK(\"http://evil\")", "'+1", "'-2"},
		{"'@SUM(A1)", "'  =1+1", "plain"},
		{`evil\x1b\x1b\u202egnp.exe  X`, "a|b", "[x](http://evil) <b>`c`</b>"},
		{"short", "", ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d cell %d = %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
}

func TestJSONKeepsColumnOrderAndEveryCell(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTableJSON(&b, hostile); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e\x07\r") {
		t.Errorf("JSON carries raw control characters: %q", b.String())
	}
	var got struct {
		Title   string              `json:"title"`
		Columns []string            `json:"columns"`
		Rows    []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("the JSON does not parse: %v\n%s", err, b.String())
	}
	if got.Title != hostile.Title || len(got.Columns) != 3 || len(got.Rows) != 4 {
		t.Fatalf("got %+v", got)
	}
	// A repeated column name gets a number, so its cells are not lost.
	if got.Rows[0]["NAME"] != hostile.Rows[0][0] || got.Rows[0]["NAME_2"] != "-2" {
		t.Errorf("row 0 = %v", got.Rows[0])
	}
	// JSON keeps the cell exactly: its escapes make it harmless.
	if got.Rows[2]["NAME"] != hostile.Rows[2][0] {
		t.Errorf("hostile cell = %q, want it exact", got.Rows[2]["NAME"])
	}
	if got.Rows[3]["NOTE"] != "" {
		t.Errorf("a short row's missing cell = %q, want empty", got.Rows[3]["NOTE"])
	}
	if i, j := strings.Index(b.String(), `"NOTE"`), strings.Index(b.String(), `"NAME_2"`); i > j {
		t.Errorf("row keys are not in column order:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "<b>") {
		t.Errorf("HTML characters are escaped needlessly:\n%s", b.String())
	}
}

func TestMarkdownEscapesStructure(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTableMarkdown(&b, hostile); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if lines[0] != `**Managed \*identities\***` || lines[1] != "" {
		t.Errorf("title lines = %q", lines[:2])
	}
	table := lines[2:]
	if len(table) != 2+len(hostile.Rows) {
		t.Fatalf("want header, separator and %d rows, got:\n%s", len(hostile.Rows), md)
	}
	for _, l := range table {
		// Every line has exactly four unescaped pipes: a cell cannot add a column.
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 4 {
			t.Errorf("line has %d cell borders, want 4: %s", n, l)
		}
	}
	for _, want := range []string{`a\|b`, `\[x\](http://evil) &lt;b&gt;\` + "`c\\`" + `&lt;/b&gt;`, `evil\\x1b\\x1b\\u202egnp.exe  X`} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %s:\n%s", want, md)
		}
	}
	if strings.ContainsAny(md, "\x1b\u202e\x07\r") {
		t.Errorf("markdown carries control characters: %q", md)
	}
	if MarkdownCell("a|b*c") != `a\|b\*c` {
		t.Errorf("MarkdownCell(a|b*c) = %s", MarkdownCell("a|b*c"))
	}
}

// benchTable is a 50,000-row list, the size of the largest tenants the explorer is built for.
func benchTable() Table {
	t := Table{Title: "Managed identities", Columns: []string{"NAME", "KIND", "ATTACHED", "SEVERITY", "#", "REACH"}}
	for i := range 50_000 {
		t.Rows = append(t.Rows, []string{"func-orders-prod-" + strings.Repeat("x", i%7), "SA",
			"func-orders-prod (app)", "critical", "3", "subscription owner"})
	}
	return t
}

func BenchmarkWriteTable50k(b *testing.B) {
	t := benchTable()
	for _, w := range []struct {
		name  string
		write func(*bytes.Buffer, Table) error
	}{
		{"CSV", func(b *bytes.Buffer, t Table) error { return WriteTableCSV(b, t) }},
		{"JSON", func(b *bytes.Buffer, t Table) error { return WriteTableJSON(b, t) }},
		{"Markdown", func(b *bytes.Buffer, t Table) error { return WriteTableMarkdown(b, t) }},
	} {
		b.Run(w.name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := w.write(&buf, t); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

func TestJSONStringsRoundTrip(t *testing.T) {
	for _, s := range []string{``, `"quoted" \back\slash`, "tab\there", "\x00\x1f", "ünïcödé 東京 👩‍💻", "\u2028\u2029",
		"\xff\xfe invalid", "</script><b>&amp;"} {
		var got string
		b := appendJSONString(nil, s)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q encodes to %s, which does not parse: %v", s, b, err)
			continue
		}
		// encoding/json's own round trip is the reference (it turns each invalid byte into U+FFFD).
		var want string
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Errorf("%q came back as %q, want %q", s, got, want)
		}
	}
}

// A table export records the filter and sort that produced it, and a numeric column's numbers are JSON numbers
// (text in a numeric column stays text).
func TestTableRecordsItsFilterSortAndNumbers(t *testing.T) {
	tb := Table{Title: "Managed identities", Columns: []string{"NAME", "#", "SEVERITY"}, Numeric: []bool{false, true, true},
		Rows: [][]string{{"007", "3", "critical"}, {"vm", "12", "none"}}, Filter: "v_m", Sort: "#, descending"}
	var b bytes.Buffer
	if err := WriteTableJSON(&b, tb); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Filter, Sort string
		Rows         []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Filter != "v_m" || got.Sort != "#, descending" {
		t.Errorf("filter %q sort %q", got.Filter, got.Sort)
	}
	if got.Rows[0]["#"] != float64(3) || got.Rows[1]["#"] != float64(12) || got.Rows[0]["NAME"] != "007" ||
		got.Rows[0]["SEVERITY"] != "critical" {
		t.Errorf("rows %v: want counts as numbers, names and words as strings", got.Rows)
	}
	b.Reset()
	WriteTableJSON(&b, Table{Columns: []string{"A"}, Rows: [][]string{{"x"}}})
	if !strings.Contains(b.String(), `"filter": null`) || !strings.Contains(b.String(), `"sort": null`) {
		t.Errorf("no filter or sort should be null:\n%s", b.String())
	}
	b.Reset()
	WriteTableMarkdown(&b, tb)
	if !strings.Contains(b.String(), "_filter: v\\_m; sorted by #, descending_") {
		t.Errorf("Markdown does not record the filter and sort:\n%s", b.String())
	}
}
