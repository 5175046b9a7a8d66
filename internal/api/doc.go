// Package api serves booksync's Monite-compatible HTTP API: authentication, entities and their
// settings, counterparts, products, receivables (invoices) and payment records.
//
// Routing uses the standard library's ServeMux patterns. Every request body is validated against
// the request schema of booksync's OpenAPI document (internal/apispec) before a handler sees it,
// so that a bad field gets the same 422 answer on every route; handlers then apply the business
// rules that no schema can express (ids that must exist and belong to the entity, currencies that
// must agree, statuses that allow the operation). Errors are booksync.Error values, mapped to
// HTTP statuses in one place (errors.go).
package api
