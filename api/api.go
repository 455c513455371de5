// Package api holds the OpenAPI 3.0 description of the Jawbone UP API v1.1,
// up.yaml, from which package gen is generated and REFERENCE.md is written.
package api

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:generate go run ./internal/refgen -o REFERENCE.md -sdk ../up up.yaml

// Spec is up.yaml as maintained, byte for byte, for serving as documentation
// and for building mock servers.
//
//go:embed up.yaml
var Spec []byte

// Load parses Spec with kin-openapi and validates it, examples included. The
// document records where each element stands in up.yaml (openapi3.Origin), so
// callers can list paths and schemas in the order the spec gives them.
func Load() (*openapi3.T, error) {
	return LoadData(Spec)
}

// LoadData parses and validates an OpenAPI document the way Load does.
func LoadData(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("api: load spec: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("api: validate spec: %w", err)
	}
	return doc, nil
}
