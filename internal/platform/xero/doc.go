// Package xero is booksync's connector for the Xero Accounting API: a *Client implements
// platform.Connector for one organisation (tenant) of one connection.
//
// The client is batch-first. Every push first looks the objects up by their natural key (contact
// number and name, item code and name, invoice number), so that a retry after an unknown outcome
// matches what an earlier attempt created instead of creating it twice, and then creates the
// missing ones with PUT and summarizeErrors=false, up to 50 a request, so that one bad object
// fails alone. Each create request carries an Idempotency-Key derived from the refs and the body
// of its chunk: a retry of the same chunk replays Xero's first answer, while a chunk whose data
// the user has since fixed gets a new key and is not answered with the stale error.
//
// Every failure is a *platform.Error whose class tells the sync engine what to do (see
// classify.go): validation messages are mapped onto booksync's codes with a fix a user can act
// on, 429s pause the connection's budget for Retry-After, and a network failure after a write was
// sent is an unknown outcome, never a plain retry.
//
// Amounts cross the wire as JSON numbers in major units and are converted to and from minor
// units exactly, with decimal arithmetic; a total Xero reports that cannot be represented in the
// currency's minor units is an error, never rounded away.
//
// After the push the client follows each invoice (platform.Lifecycle): it voids invoices (VOIDED,
// or DELETED for a draft) after reading them, so that one with payments or credit notes is
// refused with their names instead of half done; it creates credit notes (ACCRECCREDIT) and
// allocates each to its invoice once, looking both up first after an unknown outcome; it deletes
// payments; and it pulls what changed in the books with If-Modified-Since on invoices, payments
// and credit notes, at a cost in calls that follows the changes, not the size of the books. Bills
// (ACCPAY invoices) are read for the payables.
//
// NewProvider gives the sync engine all of this: OAuth (Endpoint and Scopes, for Xero's
// Production endpoints or those of booksync's sandbox), the tenants a grant reaches (Tenants),
// a Client per tenant, and Xero's limits and rules (30-character item codes, 4 decimals of a
// quantity).
package xero
