// Command gen writes openapi.json and operations_gen.go for package apispec
// from Monite's OpenAPI document in testdata. go generate runs it in the
// apispec directory, hence the relative default paths.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/booksync/booksync/internal/apispec/internal/specgen"
)

func main() {
	spec := flag.String("spec", filepath.Join("testdata", "monite_openapi.json"), "Monite's OpenAPI document")
	dir := flag.String("dir", ".", "directory to write openapi.json and operations_gen.go into")
	flag.Parse()

	in, err := os.ReadFile(*spec)
	if err != nil {
		log.Fatal(err)
	}
	out, err := specgen.Generate(in)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "openapi.json"), out.Document, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "operations_gen.go"), out.OperationsGo, 0o644); err != nil {
		log.Fatal(err)
	}
}
