// Command refgen writes the endpoint-by-endpoint Markdown reference of the
// UP API from its OpenAPI spec.
//
// Usage:
//
//	refgen [-o file] [-sdk dir] spec.yaml
//
// It loads and validates the spec as package api does, and writes the
// reference to file, or to standard output without -o. With -sdk, it reads
// the Go SDK (package up) in dir and names, under each operation, the
// methods of Client that send it; an operation without one, or a method
// that names a request the spec does not have, is an error. go generate
// runs it in api/ to keep REFERENCE.md in step with up.yaml and the SDK.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/upapi/up-go/api"
	"github.com/upapi/up-go/api/internal/refgen/reference"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("refgen: ")
	out := flag.String("o", "", "write the reference to `file` instead of standard output")
	sdk := flag.String("sdk", "", "name the methods of the Go SDK in `dir` that send each operation")
	flag.Usage = func() {
		_, _ = fmt.Fprintf(flag.CommandLine.Output(), "usage: refgen [-o file] [-sdk dir] spec.yaml\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	doc, err := api.LoadData(data)
	if err != nil {
		log.Fatal(err)
	}
	var methods map[string][]string
	if *sdk != "" {
		if methods, err = reference.SDKMethods(*sdk, doc); err != nil {
			log.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := reference.WriteSDK(&buf, doc, methods); err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		_, err = os.Stdout.Write(buf.Bytes())
	} else {
		err = os.WriteFile(*out, buf.Bytes(), 0o644)
	}
	if err != nil {
		log.Fatal(err)
	}
}
