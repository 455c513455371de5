// Package gen is the machinery generated from api/up.yaml by oapi-codegen: the
// models, a typed client (ClientWithResponses), the strict server interface
// that the fake server in up/uptest implements. The spec itself is embedded in
// package gen/spec, apart, so that programs importing package up do not link
// the OpenAPI loader.
//
// Nothing here is edited by hand. Change api/up.yaml and run go generate ./...
// (or make generate); make check-generated fails when the files drift.
// Programs use package up, which re-exports what they need.
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config types.cfg.yaml ../api/up.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config client.cfg.yaml ../api/up.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config server.cfg.yaml ../api/up.yaml
//go:generate go run ../api/internal/typegen -spec ../api/up.yaml enums -o enums.gen.go
//go:generate go run ../api/internal/typegen -spec ../api/up.yaml patch-client -o client.gen.go
//go:generate go run ../api/internal/typegen -spec ../api/up.yaml forms -o forms.gen.go -models types.gen.go
