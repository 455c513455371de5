// Package readmetest holds the test that keeps the Go code of README.md and
// docs/*.md compiling as pasted into a fresh module, and the main program of
// README.md's "Using it" running against the fake UP server. It has no code
// of its own; see readme_test.go for the rules a Go block follows.
package readmetest
