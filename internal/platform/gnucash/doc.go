// Package gnucash is booksync's connector for GnuCash books kept in SQLite files: a *Book
// implements platform.Connector for one entity's book, dir/<entity id>.gnucash.
//
// GnuCash has no API and no server. booksync writes the rows of the book's SQLite file directly,
// exactly as GnuCash 4.13 (Debian 12) writes them when a user posts an invoice or records a
// payment, and GnuCash reads them as if it had written them itself. Every row this package writes
// was copied from a book that the real engine wrote through its Python bindings, and the tests
// read the books this package writes back through the real engine (testdata/readbook.py).
//
// What booksync must know about the book:
//
//   - Customers are found by their GnuCash id, which is booksync's counterpart id (Contact.Ref),
//     then by name; their platform id is the customer's GUID.
//   - GnuCash has no item catalog: PushItems matches every item to its code and writes nothing.
//   - An invoice's GnuCash id is booksync's invoice number, its natural key; its platform id is
//     the invoice's GUID. GnuCash does not enforce unique ids, so this package does, inside the
//     write transaction.
//   - Tax rates are GnuCash tax tables, found by name (TaxRate.Code); accounts are found by code.
//   - A new book gets a starter chart of accounts and the country's tax tables (see Open).
//   - After the push (lifecycle.go, creditnotes.go, changes.go, bills.go): a void unposts the
//     invoice and marks it inactive (or reverses it with a credit note when GnuCash would not
//     unpost it); a credit note is a GnuCash credit note linked to its invoice's lot; a deleted
//     payment's transaction is destroyed. GnuCash has no change feed: Changes finds new payments
//     by their transactions' enter_date and compares every customer document's state with the
//     last pull's, which its cursor carries. Bills are vendor bills, read as they are.
//
// Money is exact: quantities, prices and discounts are stored as num/denom, and before writing
// an invoice the connector computes the totals the way the GnuCash engine will recompute them
// from the entries (see compute.go). Where GnuCash's rounding of tax once per invoice and tax
// account would change booksync's per-line tax, those lines carry their tax as fixed amounts
// (fixedTax in invoices.go), as do lines whose exact taxes GnuCash's 64-bit numbers could not add
// up (engineCanCompute in compute.go). When GnuCash would still show other figures than booksync's (a tax
// table that does not give booksync's rate), the invoice is refused with code
// totals_not_reproducible, and nothing is written.
//
// Concurrency: GnuCash keeps the book in memory while it is open and overwrites the file with
// its own state, so booksync never writes a book that GnuCash holds open. GnuCash marks an open
// book with a row in the gnclock table; such a row that is not booksync's own gives a Transient
// error with code book_locked. A Book holds its own gnclock row from Open to Close, so that a
// user who opens the book in GnuCash meanwhile is warned that it is in use.
package gnucash
