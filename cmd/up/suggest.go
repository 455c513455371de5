package main

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the name among known closest to typed, for a "did you
// mean" hint, or "" when none is close enough: within an edit distance of
// about a third of typed's length (at least 1, at most 3; a swap of two
// adjacent letters counts as one edit), or a unique name that typed is
// the start of (at least three letters). Case is ignored, and so are the
// differences between "-" and "_".
func suggest(typed string, known []string) string {
	t := normName(typed)
	if t == "" {
		return ""
	}
	limit := min(max(utf8.RuneCountInString(t)/3, 1), 3)
	best, bestDist, ties := "", limit+1, 0
	for _, k := range known {
		d := editDistance(t, normName(k))
		switch {
		case d < bestDist:
			best, bestDist, ties = k, d, 1
		case d == bestDist:
			ties++
		}
	}
	if best != "" && ties == 1 {
		return best
	}
	if best != "" {
		return "" // two names as close: no guess
	}
	if utf8.RuneCountInString(t) < 3 {
		return ""
	}
	var prefixed []string
	for _, k := range known {
		if strings.HasPrefix(normName(k), t) {
			prefixed = append(prefixed, k)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// didYouMean returns "; did you mean PREFIX+NAME?" for the name closest to
// typed, or "".
func didYouMean(typed, prefix string, known []string) string {
	if s := suggest(typed, known); s != "" {
		return "; did you mean " + prefix + s + "?"
	}
	return ""
}

func normName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimLeft(strings.TrimSpace(s), "-")), "-", "_")
}

// editDistance is the optimal string alignment distance between a and b:
// the fewest insertions, deletions, substitutions and swaps of two
// adjacent characters that turn one into the other.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows of the table: two rows back (for swaps), the last one and
	// the one being filled.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// notAList says where the data of a name people try with list is, when it
// is not a list resource ("" otherwise): up get serves every endpoint.
func notAList(name string) string {
	switch normName(name) {
	case "trends", "trend":
		return "up get /users/@me/trends"
	case "goals":
		return "up get /users/@me/goals"
	case "settings":
		return "up get /users/@me/settings"
	case "mood":
		return "up get /users/@me/mood"
	case "timezone", "timezones":
		return "up get /users/@me/timezone"
	case "friends":
		return "up friends"
	case "user", "me":
		return "up whoami"
	case "ticks":
		return "ticks belong to a move, sleep or workout: up get /moves/XID/ticks, or up export DIR, which exports them"
	case "steps":
		return "a move holds the day's steps: up list moves"
	}
	return ""
}

// unknownResource explains a name that is not a list resource: the name it
// was probably meant to be, or where that data is.
func unknownResource(cmd, typed string, known []string) error {
	if where := notAList(typed); where != "" {
		return usageErrorf("%s: %q is not a list resource: %s (resources: %s)", cmd, typed, where, strings.Join(known, ", "))
	}
	return usageErrorf("%s: unknown resource %q%s (resources: %s)", cmd, typed, didYouMean(typed, "", known), strings.Join(known, ", "))
}
