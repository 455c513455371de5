package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// formats are the output formats of list.
var formats = []string{"table", "json", "jsonl", "csv"}

// writer prints items one at a time as they arrive, in one format:
//
//   - table: a header and a row per item, columns of fixed width;
//   - csv: a header and a record per item, with more columns than the table;
//   - jsonl: each item as UP sent it, one JSON object a line;
//   - json: one array of the items, written as they come.
type writer[T any] struct {
	format string
	w      io.Writer
	cols   []column[T]
	csv    *csv.Writer
	n      int
}

func newWriter[T any](format string, w io.Writer, cols []column[T]) (*writer[T], error) {
	o := &writer[T]{format: format, w: w}
	switch format {
	case "table":
		for _, c := range cols {
			if c.width > 0 {
				c.width = max(c.width, utf8.RuneCountInString(c.name))
				o.cols = append(o.cols, c)
			}
		}
	case "csv":
		o.cols = cols
		o.csv = csv.NewWriter(w)
	case "json", "jsonl":
	default:
		return nil, usageErrorf("unknown format %q (%s)", format, strings.Join(formats, ", "))
	}
	return o, nil
}

// begin writes what comes before the first item.
func (o *writer[T]) begin() error {
	switch o.format {
	case "table":
		cells := make([]string, len(o.cols))
		for i, c := range o.cols {
			cells[i] = c.name
		}
		return o.row(cells)
	case "csv":
		names := make([]string, len(o.cols))
		for i, c := range o.cols {
			names[i] = c.name
		}
		return o.csvRecord(names)
	case "json":
		_, err := io.WriteString(o.w, "[")
		return err
	}
	return nil
}

// write prints one item.
func (o *writer[T]) write(v T) error {
	defer func() { o.n++ }()
	switch o.format {
	case "table":
		cells := make([]string, len(o.cols))
		for i, c := range o.cols {
			if c.table != nil {
				cells[i] = c.table(v)
			} else {
				cells[i] = c.csv(v)
			}
		}
		return o.row(cells)
	case "csv":
		rec := make([]string, len(o.cols))
		for i, c := range o.cols {
			rec[i] = c.csv(v)
		}
		return o.csvRecord(rec)
	case "jsonl":
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = o.w.Write(append(b, '\n'))
		return err
	case "json":
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if o.n == 0 {
			sep = "\n  "
		}
		_, err = io.WriteString(o.w, sep+string(b))
		return err
	}
	return nil
}

// end writes what comes after the last item.
func (o *writer[T]) end() error {
	if o.format != "json" {
		return nil
	}
	tail := "\n]\n"
	if o.n == 0 {
		tail = "]\n"
	}
	_, err := io.WriteString(o.w, tail)
	return err
}

func (o *writer[T]) csvRecord(rec []string) error {
	if err := o.csv.Write(rec); err != nil {
		return err
	}
	o.csv.Flush()
	return o.csv.Error()
}

// row writes one table row: each cell padded or cut to its column's width,
// two spaces apart; the last cell is neither.
func (o *writer[T]) row(cells []string) error {
	var b strings.Builder
	for i, cell := range cells {
		cell = strings.Join(strings.Fields(cell), " ")
		if i == len(cells)-1 {
			b.WriteString(cell)
			break
		}
		w := o.cols[i].width
		if n := utf8.RuneCountInString(cell); n > w {
			cell = string([]rune(cell)[:w-1]) + "…"
		} else {
			cell += strings.Repeat(" ", w-n)
		}
		b.WriteString(cell)
		b.WriteString("  ")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(o.w, b.String())
	return err
}
