// Package apispec is booksync's OpenAPI contract: the document served at
// /openapi.json, the table of operations the router must implement, request
// body validation that answers in the FastAPI/pydantic 422 shape Monite's
// clients already parse, and the /docs page.
//
// openapi.json is not written by hand. It is cut out of Monite's published
// document (testdata/monite_openapi.json, MIT licence) by ./gen, so that the
// paths, parameters, field names and enums booksync serves are Monite's own;
// a test regenerates it and fails when the committed copy differs.
package apispec

//go:generate go run ./gen
