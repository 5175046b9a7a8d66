// Package booksync holds the domain of booksync: the objects a platform manages through the
// Monite-compatible API (entities, counterparts, products, receivables, payment records), the
// rules that govern them, and the application error that every layer speaks.
//
// The packages below internal/ depend on this one, never the other way round: internal/store
// persists these types, internal/api serves them over HTTP, and internal/money computes the
// totals of a receivable.
package booksync

// APIVersion is the version of Monite's API that booksync serves (the x-monite-version header's
// value): its paths, fields, enums and error shapes are the contract.
const APIVersion = "2024-05-25"
