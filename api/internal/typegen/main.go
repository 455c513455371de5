// Command typegen writes the Go code that oapi-codegen does not write for
// the UP spec: the String methods of the enumerated types in package gen,
// and package up's documented re-exports of the generated models.
//
// Usage:
//
//	typegen -spec up.yaml enums -o file
//	typegen -spec up.yaml patch-client -o client.gen.go
//	typegen -spec up.yaml forms -o file -models types.gen.go
//	typegen -spec up.yaml aliases -o file -models types.gen.go -up dir Type...
//
// enums writes, for every component schema with an enum and
// x-enum-varnames, a String method that names each value as the schema's
// x-enum-descriptions do, and the form encoder that patch-client makes the
// generated client use, so that an enumerated field is sent as its number,
// not as the name String gives it (oapi-codegen's runtime.MarshalForm
// writes fields with fmt.Sprint). forms writes an AppendForm method for each
// schema that operations send as a form, which encodes it without
// reflection. aliases writes, for each named type, an alias of
// the generated model whose doc comment shows its fields, their JSON names
// and their descriptions, with the names package up gives the types they
// use (found in the up package's own files in dir), so that go doc shows
// them from package up; and, for each enumerated type, its named values.
// go generate runs it in gen and in up (make check-generated checks the
// output).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"

	"github.com/upapi/up-go/api"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("typegen: ")
	specPath := flag.String("spec", "", "the OpenAPI `file`")
	flag.Usage = func() {
		_, _ = fmt.Fprintf(flag.CommandLine.Output(), "usage: typegen -spec up.yaml enums -o file\n"+
			"       typegen -spec up.yaml patch-client -o client.gen.go\n"+
			"       typegen -spec up.yaml forms -o file -models types.gen.go\n"+
			"       typegen -spec up.yaml aliases -o file -models types.gen.go -up dir Type...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *specPath == "" || flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(*specPath)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := api.LoadData(data)
	if err != nil {
		log.Fatal(err)
	}
	sub := flag.NewFlagSet(flag.Arg(0), flag.ExitOnError)
	out := sub.String("o", "", "write to `file`")
	models := sub.String("models", "", "the generated models, gen/types.gen.go (aliases)")
	upDir := sub.String("up", ".", "the `dir`ectory of package up (aliases)")
	_ = sub.Parse(flag.Args()[1:])
	if *out == "" {
		log.Fatal("-o is required")
	}
	var buf bytes.Buffer
	switch flag.Arg(0) {
	case "patch-client":
		var src []byte
		if src, err = os.ReadFile(*out); err == nil {
			src, err = patchClient(src)
		}
		buf.Write(src)
	case "enums":
		err = writeEnums(&buf, doc)
	case "forms":
		if *models == "" {
			log.Fatal("forms needs -models")
		}
		err = writeForms(&buf, doc, *models)
	case "aliases":
		if *models == "" || sub.NArg() == 0 {
			log.Fatal("aliases needs -models and the names of the types to re-export")
		}
		err = writeAliases(&buf, doc, *models, *upDir, sub.Args())
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		log.Fatalf("formatting the output: %v\n%s", err, buf.Bytes())
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
