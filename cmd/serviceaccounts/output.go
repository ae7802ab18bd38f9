package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// printJSON writes v as the management API would send it: compact, one
// document and a newline, without HTML escaping.
func (a *app) printJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := a.stdout.Write(buf.Bytes())
	return err
}

// printLines writes one value a line, for -o plain.
func (a *app) printLines(lines ...string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintln(a.stdout, l); err != nil {
			return err
		}
	}
	return nil
}

// printIDs prints the id of each item, one a line: what every list
// prints with -o plain, for scripts.
func printIDs[T any](a *app, items []T, id func(T) uuid.UUID) error {
	lines := make([]string, len(items))
	for i, item := range items {
		lines[i] = id(item).String()
	}
	return a.printLines(lines...)
}

// table collects rows and writes them with aligned columns.
type table struct {
	w *tabwriter.Writer
}

func (a *app) newTable(header ...string) *table {
	t := &table{w: tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.w.Flush() }

// fields writes name/value pairs one a line, aligned: the layout of a
// single record.
func (a *app) fields(pairs ...string) error {
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(w, "%s:\t%s\n", pairs[i], cell(pairs[i+1]))
	}
	return w.Flush()
}

// cell keeps a value on its line and in its column: descriptions may hold
// tabs and line breaks.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\v', '\f':
			return ' '
		}
		return r
	}, s)
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// truncate shortens s to at most n characters for a column.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// timeCell shows a time to the second in UTC, as people read it; -o json
// keeps the API's microseconds.
func timeCell(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func optionalTimeCell(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return timeCell(*t)
}
