// Command offlinecheck fails when an HTML page loads anything from another
// host: a script, stylesheet, image, frame or font with an absolute URL, or
// a CSS url() or @import of one. make docs runs it on the Redocly reference,
// which must open offline. Links (<a href>) are navigation, not loads, and
// are allowed.
package main

import (
	"fmt"
	"os"
	"regexp"
)

// loads matches the ways a page pulls in another resource by URL.
var loads = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<(script|img|iframe|frame|embed|source|audio|video|track|input)\b[^>]*\bsrc\s*=\s*["']?\s*(https?:)?//[^"'\s>]+`),
	regexp.MustCompile(`(?i)<link\b[^>]*\bhref\s*=\s*["']?\s*(https?:)?//[^"'\s>]+`),
	regexp.MustCompile(`(?i)<object\b[^>]*\bdata\s*=\s*["']?\s*(https?:)?//[^"'\s>]+`),
	regexp.MustCompile(`(?i)url\(\s*["']?\s*(https?:)?//[^)"'\s]+`),
	regexp.MustCompile(`(?i)@import\s+["']\s*(https?:)?//[^"'\s]+`),
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: offlinecheck PAGE.html")
		os.Exit(2)
	}
	page, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bad := external(page); len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintf(os.Stderr, "%s loads an external resource: %s\n", os.Args[1], b)
		}
		os.Exit(1)
	}
	fmt.Printf("%s loads nothing from another host (%d bytes)\n", os.Args[1], len(page))
}

// external returns every external load in page.
func external(page []byte) []string {
	var out []string
	for _, re := range loads {
		for _, m := range re.FindAll(page, -1) {
			if len(m) > 120 {
				m = m[:120]
			}
			out = append(out, string(m))
		}
	}
	return out
}
