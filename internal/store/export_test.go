package store

import "github.com/booksync/booksync"

// ReceivableRow returns the columns of r that CreateReceivable computes (its document id, issue
// date, data and lines), so that the benchmarks can load invoices in bulk as booksync stores them.
func ReceivableRow(r *booksync.Receivable) (documentID string, issueDate int64, data, lines string, err error) {
	row, err := encodeReceivable(r)
	return row.documentID, row.issueDate, row.data, row.lines, err
}
