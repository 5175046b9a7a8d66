// Package sandbox groups booksync's built-in imitations of accounting
// systems (xero, quickbooks). Each speaks its platform's real OAuth
// flow and API over HTTP, so booksync's real connectors can be tested and
// demoed without an account; booksync mounts them under /sandbox/<platform>/. Their state
// persists through a Store, which this package defines for all of them, and their web pages and
// fault injection sit behind one Gate: a login with the partner's booksync credentials that shows
// each partner only the organisations its entities connected.
package sandbox
