//go:build tools

// Package tools pins the versions of the code generators that go generate
// runs, so that go.mod and go.sum record them like any other dependency.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
