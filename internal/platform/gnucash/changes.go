package gnucash

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// GnuCash has no change feed, and no modification time on invoices, lots or splits: only
// transactions.enter_date, when a transaction was entered. Changes therefore finds new payments
// by enter_date, deleted or voided payments by looking up the ones booksync knows, and invoices
// unposted, credited or paid by comparing each customer document's state with the state the last
// pull saw, which the cursor carries as a fingerprint per document. The book is a local file:
// a pull costs reads, never calls (Changes.Calls is 0), and reads the book's customer documents
// once.

// cursor is what Changes carries from one pull to the next.
type cursor struct {
	// Entered is the latest transactions.enter_date seen ("YYYY-MM-DD HH:MM:SS"), and Seen the
	// payments entered in that second that were reported, so that one entered later in the same
	// second is not missed.
	Entered string   `json:"entered"`
	Seen    []string `json:"seen,omitempty"`
	// States holds 20 bytes per customer document: its GUID (16 bytes) and a fingerprint of its
	// state (4 bytes), sorted by GUID.
	States []byte `json:"states"`
}

// cursorPrefix marks the version of the cursor's format.
const cursorPrefix = "gnucash1:"

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	body, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return c, fmt.Errorf("cursor %.20q is not a GnuCash cursor", s)
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("cursor: %w", err)
	}
	if len(c.States)%20 != 0 {
		return c, fmt.Errorf("cursor: states of %d bytes", len(c.States))
	}
	return c, nil
}

func (c cursor) String() string {
	body, _ := json.Marshal(c)
	return cursorPrefix + string(body)
}

// states returns the cursor's fingerprints by GUID.
func (c cursor) states() map[string]uint32 {
	m := make(map[string]uint32, len(c.States)/20)
	for i := 0; i+20 <= len(c.States); i += 20 {
		m[hex.EncodeToString(c.States[i:i+16])] = binary.BigEndian.Uint32(c.States[i+16 : i+20])
	}
	return m
}

// setStates stores fingerprints by GUID; GUIDs that are not 32 hex digits are left out.
func (c *cursor) setStates(m map[string]uint32) {
	guids := make([]string, 0, len(m))
	for g := range m {
		guids = append(guids, g)
	}
	sort.Strings(guids)
	c.States = make([]byte, 0, 20*len(guids))
	for _, g := range guids {
		raw, err := hex.DecodeString(g)
		if err != nil || len(raw) != 16 {
			continue
		}
		c.States = append(c.States, raw...)
		c.States = binary.BigEndian.AppendUint32(c.States, m[g])
	}
}

// Changes reports what changed in the book since q.Cursor:
//
//   - payments (transactions of type P) entered since, applied to customer invoices: one
//     PaymentChange per transaction and invoice, whose ID is the transaction's GUID (the id
//     PushPayments returns), or "<transaction GUID>:<invoice GUID>" for a payment GnuCash applied
//     to several invoices; Reference is the transaction's number. Payments booksync pushed are
//     reported too: they carry the ids booksync already holds.
//   - payments booksync knows (q.KnownPayments) whose transaction is gone or voided: Deleted.
//   - customer invoices and credit notes whose state or amounts differ from the last pull's:
//     an InvoiceChange each. An unposted invoice no longer asks for money and is voided (Status
//     "unposted"), one that is gone is voided (Status "deleted"), and so is one booksync
//     reversed with a credit note (Status "reversed"). The first pull reports every document
//     entered since q.Since.
func (b *Book) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	fail := func(err error) (platform.Changes, error) {
		return platform.Changes{}, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	cur, err := parseCursor(q.Cursor)
	if err != nil {
		return platform.Changes{}, &platform.Error{Class: platform.NeedsUserAction, Code: "cursor_invalid",
			Message: "The last pull's position in the GnuCash book cannot be read: " + err.Error(), Err: err}
	}
	since := ""
	if !q.Since.IsZero() {
		since = q.Since.UTC().Format(timeLayout)
	}
	out := platform.Changes{}
	next := cursor{Entered: cur.Entered, Seen: cur.Seen}
	if next.Entered == "" {
		next.Entered = since
	}
	docs, invoiceOfLot, err := b.docStates(ctx)
	if err != nil {
		return fail(err)
	}
	// Payments entered since the cursor.
	pays, err := b.newPayments(ctx, max(cur.Entered, since), invoiceOfLot)
	if err != nil {
		return fail(err)
	}
	seen := map[string]bool{}
	for _, g := range cur.Seen {
		seen[g] = true
	}
	for _, p := range pays {
		if p.entered == cur.Entered && seen[p.txn] {
			continue
		}
		out.Payments = append(out.Payments, p.change)
		if p.entered > next.Entered {
			next.Entered, next.Seen = p.entered, nil
		}
		if p.entered == next.Entered && !contains(next.Seen, p.txn) {
			next.Seen = append(next.Seen, p.txn)
		}
	}
	// Payments deleted or voided since booksync learnt of them.
	if q.KnownPayments != nil {
		known, err := q.KnownPayments(ctx)
		if err != nil {
			var pe *platform.Error
			if errors.As(err, &pe) {
				return platform.Changes{}, pe
			}
			return platform.Changes{}, transient("known_payments_unreadable", "booksync's payments of this connection could not be read", err)
		}
		gone, err := b.gonePayments(ctx, known)
		if err != nil {
			return fail(err)
		}
		out.Payments = append(out.Payments, gone...)
	}
	// Documents whose state changed.
	prev := cur.states()
	states := map[string]uint32{}
	for _, d := range docs {
		_, tracked := prev[d.change.ID]
		if !tracked && since != "" && d.entered < since {
			continue // older than booksync's connection, and never reported
		}
		fp := d.fingerprint()
		states[d.change.ID] = fp
		if old, ok := prev[d.change.ID]; !ok || old != fp {
			out.Invoices = append(out.Invoices, d.change)
		}
	}
	present := map[string]bool{}
	for _, d := range docs {
		present[d.change.ID] = true
	}
	var gone []string
	for g := range prev {
		if !present[g] {
			gone = append(gone, g)
		}
	}
	sort.Strings(gone)
	for _, g := range gone {
		out.Invoices = append(out.Invoices, platform.InvoiceChange{ID: g, State: platform.InvoiceVoided,
			Status: "deleted", Currency: b.currency, UpdatedAt: time.Now().UTC()})
	}
	next.setStates(states)
	out.Cursor = next.String()
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newPayment is a payment of one invoice, and when its transaction was entered.
type newPayment struct {
	txn, entered string
	change       platform.PaymentChange
}

// newPayments reads the payment transactions entered at or after from (all when from is ""),
// applied to the customer invoices of invoiceOfLot (their lots' GUIDs), oldest first.
func (b *Book) newPayments(ctx context.Context, from string, invoiceOfLot map[string]string) ([]newPayment, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT t.guid, COALESCE(t.enter_date, ''), COALESCE(t.post_date, ''), t.num,
		COALESCE(s.lot_guid, ''), s.value_num, s.value_denom
		FROM transactions t
		JOIN slots ty ON ty.obj_guid = t.guid AND ty.name = 'trans-txn-type' AND ty.string_val = 'P'
		JOIN splits s ON s.tx_guid = t.guid
		WHERE COALESCE(t.enter_date, '') >= ? AND s.lot_guid IS NOT NULL
		ORDER BY t.enter_date, t.guid`, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []newPayment
	index := map[[2]string]int{} // (transaction, invoice) -> position in out
	invoices := map[string]int{} // invoices per transaction
	for rows.Next() {
		var p newPayment
		var posted, lot string
		var num, denom int64
		if err := rows.Scan(&p.txn, &p.entered, &posted, &p.change.Reference, &lot, &num, &denom); err != nil {
			return nil, err
		}
		inv, ok := invoiceOfLot[lot]
		if !ok {
			continue // a prepayment, or a payment of a bill or a credit note
		}
		v, err := b.toMinor(num, denom)
		if err != nil {
			return nil, err
		}
		key := [2]string{p.txn, inv}
		if i, ok := index[key]; ok {
			out[i].change.Amount -= v
			continue
		}
		index[key] = len(out)
		invoices[p.txn]++
		p.change.ID, p.change.InvoiceID, p.change.Amount = p.txn, inv, -v
		p.change.Currency, p.change.Date = b.currency, dateOf(posted)
		p.change.UpdatedAt = parseTime(p.entered)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, p := range out {
		if p.change.Amount <= 0 {
			continue // voided (zero), or a refund
		}
		if invoices[p.txn] > 1 {
			p.change.ID = p.txn + ":" + p.change.InvoiceID
		}
		kept = append(kept, p)
	}
	return kept, nil
}

// gonePayments returns, for each known payment id whose transaction is gone or voided, a
// Deleted PaymentChange.
func (b *Book) gonePayments(ctx context.Context, known []string) ([]platform.PaymentChange, error) {
	var out []platform.PaymentChange
	const chunk = 400
	for start := 0; start < len(known); start += chunk {
		ids := known[start:min(start+chunk, len(known))]
		txns := make([]any, len(ids))
		for i, id := range ids {
			txns[i], _, _ = strings.Cut(id, ":")
		}
		rows, err := b.db.QueryContext(ctx, `SELECT t.guid,
			EXISTS (SELECT 1 FROM splits v WHERE v.tx_guid = t.guid AND v.reconcile_state = 'v')
			OR EXISTS (SELECT 1 FROM slots r WHERE r.obj_guid = t.guid AND r.name = 'void-reason')
			FROM transactions t WHERE t.guid IN (?`+strings.Repeat(", ?", len(txns)-1)+`)`, txns...)
		if err != nil {
			return nil, err
		}
		alive := map[string]bool{}
		for rows.Next() {
			var g string
			var voided bool
			if err := rows.Scan(&g, &voided); err != nil {
				rows.Close()
				return nil, err
			}
			alive[g] = !voided
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for i, id := range ids {
			txn := txns[i].(string)
			if alive[txn] {
				continue
			}
			c := platform.PaymentChange{ID: id, Currency: b.currency, Deleted: true, UpdatedAt: time.Now().UTC()}
			if _, inv, ok := strings.Cut(id, ":"); ok {
				c.InvoiceID = inv
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// docState is a customer document's state, and when it was entered.
type docState struct {
	entered string
	change  platform.InvoiceChange
}

// fingerprint hashes what Changes compares between pulls.
func (d docState) fingerprint() uint32 {
	h := fnv.New32a()
	c := d.change
	fmt.Fprintf(h, "%s|%s|%s|%d|%d|%d|%d", c.Number, c.State, c.Status, c.Total, c.AmountPaid, c.AmountCredited, c.AmountDue)
	return h.Sum32()
}

// docStates reads every customer invoice and credit note with its amounts: the total from its
// posting, what payments and links took off its lot, and the lot's balance. A credit note's
// amounts are positive: its total, what was applied (AmountCredited) and what is left (AmountDue).
// It also returns the invoice (not credit note) each posted lot belongs to. GnuCash's schema has
// no index on entries.invoice, splits.lot_guid or invoices.post_lot, so each table is read once
// and joined here rather than looked up per document.
func (b *Book) docStates(ctx context.Context) ([]docState, map[string]string, error) {
	credit, err := b.stringSet(ctx, `SELECT obj_guid FROM slots WHERE name = 'credit-note' AND int64_val = 1`)
	if err != nil {
		return nil, nil, err
	}
	reversed, err := b.stringSet(ctx, `SELECT f.obj_guid FROM slots f JOIN slots c ON c.obj_guid = f.guid_val
		WHERE f.name = 'booksync' AND c.name = ?`, reversedBy)
	if err != nil {
		return nil, nil, err
	}
	entered := map[string]string{}
	rows, err := b.db.QueryContext(ctx, `SELECT invoice, COALESCE(MAX(date_entered), '') FROM entries
		WHERE invoice IS NOT NULL GROUP BY invoice`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var inv, when string
		if err := rows.Scan(&inv, &when); err != nil {
			rows.Close()
			return nil, nil, err
		}
		entered[inv] = when
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = b.db.QueryContext(ctx, `SELECT i.guid, i.id, COALESCE(i.post_txn, ''), COALESCE(i.post_lot, ''),
		COALESCE(t.enter_date, ''), t.guid IS NOT NULL
		FROM invoices i LEFT JOIN transactions t ON t.guid = i.post_txn
		WHERE i.owner_type = ? ORDER BY i.guid`, ownerCustomer)
	if err != nil {
		return nil, nil, err
	}
	type row struct {
		guid, number, txn, lot, txnEntered string
		posted                             bool
	}
	var all []row
	lots := map[string]bool{}
	invoiceOfLot := map[string]string{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.guid, &r.number, &r.txn, &r.lot, &r.txnEntered, &r.posted); err != nil {
			rows.Close()
			return nil, nil, err
		}
		all = append(all, r)
		if r.posted && r.lot != "" {
			lots[r.lot] = true
			if !credit[r.guid] {
				invoiceOfLot[r.lot] = r.guid
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	sums, err := b.lotSums(ctx, lots)
	if err != nil {
		return nil, nil, err
	}
	out := make([]docState, 0, len(all))
	for _, r := range all {
		d := docState{entered: max(r.txnEntered, entered[r.guid])}
		c := platform.InvoiceChange{ID: r.guid, Number: r.number, Currency: b.currency}
		if !r.posted {
			c.State, c.Status = platform.InvoiceVoided, "unposted"
			c.UpdatedAt = time.Now().UTC()
		} else {
			s := sums[r.lot]
			if s == nil {
				s = &lotSum{byTxn: map[string]int64{}}
			}
			sign := int64(1)
			if credit[r.guid] {
				sign = -1
			}
			c.Total = sign * s.byTxn[r.txn]
			c.AmountCredited = -sign * s.links
			c.AmountPaid = -sign * s.payments
			c.AmountDue = sign * s.balance
			c.State, c.Status = platform.InvoiceOpen, "posted"
			if c.AmountDue == 0 {
				c.State, c.Status = platform.InvoicePaid, "paid"
			}
			if credit[r.guid] {
				c.Status = "credit note " + c.Status
			}
			if reversed[r.guid] && c.AmountDue == 0 {
				// booksync voided it with a reversing credit note.
				c.State, c.Status = platform.InvoiceVoided, "reversed"
			}
			c.UpdatedAt = parseTime(max(r.txnEntered, s.lastEntered))
		}
		d.change = c
		out = append(out, d)
	}
	return out, invoiceOfLot, nil
}

// stringSet reads a column of strings as a set.
func (b *Book) stringSet(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := b.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		set[v] = true
	}
	return set, rows.Err()
}

// lotSum is what a document's lot holds, in minor units.
type lotSum struct {
	byTxn       map[string]int64 // by transaction GUID, for the document's own posting
	links       int64            // lot-link splits
	payments    int64            // every other split (payments, and anything GnuCash puts there)
	balance     int64
	lastEntered string
}

// lotSums reads the splits of the given lots.
func (b *Book) lotSums(ctx context.Context, lots map[string]bool) (map[string]*lotSum, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT s.lot_guid, s.tx_guid, COALESCE(ty.string_val, ''),
		s.value_num, s.value_denom, COALESCE(t.enter_date, '')
		FROM splits s JOIN transactions t ON t.guid = s.tx_guid
		LEFT JOIN slots ty ON ty.obj_guid = s.tx_guid AND ty.name = 'trans-txn-type'
		WHERE s.lot_guid IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*lotSum{}
	for rows.Next() {
		var lot, txn, kind, entered string
		var num, denom int64
		if err := rows.Scan(&lot, &txn, &kind, &num, &denom, &entered); err != nil {
			return nil, err
		}
		if !lots[lot] {
			continue
		}
		v, err := b.toMinor(num, denom)
		if err != nil {
			return nil, err
		}
		s := out[lot]
		if s == nil {
			s = &lotSum{byTxn: map[string]int64{}}
			out[lot] = s
		}
		s.balance += v
		switch kind {
		case "I":
			s.byTxn[txn] += v
		case "L":
			s.links += v
		default:
			s.payments += v
		}
		if entered > s.lastEntered {
			s.lastEntered = entered
		}
	}
	return out, rows.Err()
}
