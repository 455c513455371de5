package main

import "testing"

func TestExternal(t *testing.T) {
	t.Parallel()
	for _, page := range []string{
		`<script src="https://cdn.example/redoc.js"></script>`,
		`<link rel="stylesheet" href="//fonts.example/css">`,
		`<style>body{background:url('https://img.example/a.png')}</style>`,
		`<style>@import "https://fonts.example/css";</style>`,
		`<img alt="" src=https://img.example/logo.svg>`,
	} {
		if len(external([]byte(page))) == 0 {
			t.Errorf("missed the external load in %s", page)
		}
	}
	for _, page := range []string{
		`<a href="https://jawbone.com/up/developer">docs</a>`,
		`<script>var x = 1;</script><link rel="icon" href="data:,">`,
		`<img src="data:image/png;base64,AAAA">`,
	} {
		if bad := external([]byte(page)); len(bad) > 0 {
			t.Errorf("%s: flagged %v", page, bad)
		}
	}
}
