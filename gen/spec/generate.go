// Package spec embeds api/up.yaml, compressed, and loads it with kin-openapi
// (GetSpec), for the fake server in up/uptest and the tests that check
// requests and answers against the spec.
//
// It is apart from package gen so that the SDK's import graph holds no
// OpenAPI, YAML or JSON-Schema package: only programs that import up/uptest
// (or this package) link them. Nothing here is edited by hand; go generate
// ./... rewrites it from api/up.yaml.
package spec

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config spec.cfg.yaml ../../api/up.yaml
