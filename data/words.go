package data

import "strconv"

// Plural counts n of a thing in words: "1 finding", "3 findings". Every count shown to a user or written to a report
// goes through it, so there is one rule for the singular.
func Plural(n int, one, many string) string {
	if n == 1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}
