package booksync

// BooksFailure is the kind of failure an entity's accounting system reported; it decides how the
// API answers the failure.
type BooksFailure int

// Kinds of failure of an accounting system.
const (
	// BooksUnavailable: the accounting system failed, asked to wait, or did not say whether the
	// request took effect; trying again later may succeed.
	BooksUnavailable BooksFailure = iota
	// BooksNotFound: what was asked for does not exist in the books.
	BooksNotFound
	// BooksRefused: the accounting system refused the request as it stands (the data is wrong
	// for it, or the user must act first).
	BooksRefused
	// BooksDeauthorized: the accounting system refused booksync's access; the entity must
	// connect again.
	BooksDeauthorized
	// BooksMisconfigured: a setting of booksync's operator is wrong, which waiting does not fix.
	BooksMisconfigured
)

// BooksError is a failure an entity's accounting system reported (connecting, an OAuth callback,
// or a read through to the books).
type BooksError interface {
	error
	// BooksFailure returns the kind of failure and its message for users, with the fix when one
	// is known.
	BooksFailure() (kind BooksFailure, message string)
}
