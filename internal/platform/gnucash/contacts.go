package gnucash

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// GnuCash's owner types (GncOwnerType) and "use the global setting" for a customer's
// tax-included flag (GncTaxIncluded).
const (
	ownerCustomer        = 2
	taxIncludedUseGlobal = 3
)

// PushContacts matches each contact to a customer by id (Contact.Ref, booksync's counterpart id,
// which booksync writes as the GnuCash customer id) and then by name (case-insensitive), and
// creates the missing ones, all in one transaction. PlatformID is the customer's GUID. A matched
// customer is not changed (as Xero's and QuickBooks' are not). The address goes to GnuCash's four
// address lines: line 1, line 2, "postal code city", "region, country". GnuCash's customer has no
// tax-number field (gncCustomer holds id, name, notes, addresses, terms, tax table, discount and
// credit), so the tax number (the counterpart's VAT id) goes to the customer's Notes, the field
// GnuCash's customer dialog shows, as "Tax number: DE123456789": where a bookkeeper opening the
// customer finds it, and searchable in GnuCash's Find Customer.
func (b *Book) PushContacts(ctx context.Context, contacts []platform.Contact) ([]platform.Result, error) {
	results := make([]platform.Result, len(contacts))
	err := b.write(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC()
		for i, c := range contacts {
			results[i] = platform.Result{Ref: c.Ref}
			name := strings.TrimSpace(c.Name)
			if name == "" {
				name = strings.TrimSpace(c.FirstName + " " + c.LastName)
			}
			if name == "" {
				results[i].Err = &platform.Error{Class: platform.NeedsUserAction, Code: "contact_name_missing",
					Message: "Customer name is missing", Details: []platform.Detail{{Field: "name",
						Message: "GnuCash needs a customer name", Fix: "Set the counterpart's name, then push again"}}}
				continue
			}
			guid, err := findCustomer(tx, c.Ref, name)
			if err != nil {
				return err
			}
			if guid != "" {
				results[i].PlatformID, results[i].Matched, results[i].UpdatedAt = guid, true, now
				continue
			}
			guid = newGUID()
			var a platform.Address
			if c.Address != nil {
				a = *c.Address
			}
			if _, err := tx.Exec(`INSERT INTO customers (guid, name, id, notes, active, discount_num,
				discount_denom, credit_num, credit_denom, currency, tax_override, addr_name, addr_addr1,
				addr_addr2, addr_addr3, addr_addr4, addr_phone, addr_fax, addr_email, shipaddr_name,
				shipaddr_addr1, shipaddr_addr2, shipaddr_addr3, shipaddr_addr4, shipaddr_phone, shipaddr_fax,
				shipaddr_email, terms, tax_included, taxtable)
				VALUES (?, ?, ?, ?, 1, 0, 1, 0, 1, ?, 0, ?, ?, ?, ?, ?, '', '', ?, '', '', '', '', '', '', '', '',
				NULL, ?, NULL)`,
				guid, name, c.Ref, customerNotes(c), b.currGUID, name, a.Line1, a.Line2, join(" ", a.PostalCode, a.City),
				join(", ", a.Region, a.Country), c.Email, taxIncludedUseGlobal); err != nil {
				return err
			}
			results[i].PlatformID, results[i].UpdatedAt = guid, now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// customerNotes is what a new customer's Notes hold: its tax number, if it has one.
func customerNotes(c platform.Contact) string {
	if n := strings.TrimSpace(c.TaxNumber); n != "" {
		return "Tax number: " + n
	}
	return ""
}

// findCustomer returns the GUID of the customer with id ref, else of the one named name, else "".
func findCustomer(tx *sql.Tx, ref, name string) (string, error) {
	var guid string
	err := tx.QueryRow(`SELECT guid FROM customers WHERE id = ? AND ? <> '' ORDER BY active DESC LIMIT 1`, ref, ref).Scan(&guid)
	if err == sql.ErrNoRows {
		err = tx.QueryRow(`SELECT guid FROM customers WHERE lower(name) = lower(?) ORDER BY active DESC LIMIT 1`, name).Scan(&guid)
	}
	if err == sql.ErrNoRows {
		return "", nil
	}
	return guid, err
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// PushItems writes nothing: GnuCash has no item catalog (an invoice entry carries its own
// description, price and income account). Every item is Matched, with its Code as PlatformID, so
// that the sync engine treats products as synced.
func (b *Book) PushItems(ctx context.Context, items []platform.Item) ([]platform.Result, error) {
	results := make([]platform.Result, len(items))
	now := time.Now().UTC()
	for i, it := range items {
		results[i] = platform.Result{Ref: it.Ref, PlatformID: it.Code, Matched: true, UpdatedAt: now}
	}
	return results, nil
}
