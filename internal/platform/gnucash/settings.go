package gnucash

import (
	"context"
	"database/sql"
	"math/big"
	"path/filepath"
	"sort"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// Org describes the book: ID is the book's GUID; Name is the company name of the book's options
// (File > Properties > Business > Company Name) or, when unset, the book's file name (the entity
// id); CountryCode is the country the book was created for, "" for books booksync did not create.
func (b *Book) Org(ctx context.Context) (platform.Org, error) {
	org := platform.Org{ID: b.guid, Name: strings.TrimSuffix(filepath.Base(b.path), bookExtension),
		BaseCurrency: b.currency}
	var name, country sql.NullString
	err := b.db.QueryRowContext(ctx, `SELECT c.string_val FROM slots o
		JOIN slots bu ON bu.obj_guid = o.guid_val AND bu.name = 'options/Business'
		JOIN slots c ON c.obj_guid = bu.guid_val AND c.name = 'options/Business/Company Name'
		WHERE o.obj_guid = ? AND o.name = 'options'`, b.guid).Scan(&name)
	if err != nil && err != sql.ErrNoRows {
		return platform.Org{}, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	if name.String != "" {
		org.Name = name.String
	}
	err = b.db.QueryRowContext(ctx, `SELECT c.string_val FROM slots f
		JOIN slots c ON c.obj_guid = f.guid_val AND c.name = 'booksync/country'
		WHERE f.obj_guid = ? AND f.name = 'booksync'`, b.guid).Scan(&country)
	if err != nil && err != sql.ErrNoRows {
		return platform.Org{}, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	org.CountryCode = country.String
	return org, nil
}

// TaxRates returns the book's visible tax tables (File > Sales Tax Table): Code and Name are the
// table's name, which is how invoices name it (InvoiceLine.TaxCode); Rate is the sum of its
// percent entries in percent minor units; every table may be used on sales. Tables with fixed
// amounts keep only their percent entries in Rate, and list all entries as Components.
func (b *Book) TaxRates(ctx context.Context) ([]platform.TaxRate, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT t.guid, t.name, COALESCE(e.amount_num, 0), COALESCE(e.amount_denom, 1),
		COALESCE(e.type, 0), COALESCE(a.name, '')
		FROM taxtables t LEFT JOIN taxtable_entries e ON e.taxtable = t.guid
		LEFT JOIN accounts a ON a.guid = e.account
		WHERE t.invisible = 0 ORDER BY t.name, e.id`)
	if err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	defer rows.Close()
	var out []platform.TaxRate
	index := map[string]int{}
	sums := map[string]*big.Rat{}
	for rows.Next() {
		var guid, name, acct string
		var num, denom int64
		var typ int
		if err := rows.Scan(&guid, &name, &num, &denom, &typ, &acct); err != nil {
			return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
		}
		i, ok := index[guid]
		if !ok {
			i = len(out)
			index[guid] = i
			out = append(out, platform.TaxRate{Code: name, Name: name, Status: "Active", Revenue: true})
			sums[guid] = new(big.Rat)
		}
		if typ == 0 || denom == 0 {
			continue
		}
		amount := big.NewRat(num, denom)
		comp := platform.TaxComponent{Name: acct}
		if typ == taxPercent {
			sums[guid].Add(sums[guid], amount)
			comp.Rate = roundMinor(amount, 100)
		}
		out[i].Components = append(out[i].Components, comp)
	}
	if err := rows.Err(); err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	for guid, i := range index {
		out[i].Rate = roundMinor(sums[guid], 100)
		// GnuCash tax tables have names only: a 0% table named for reverse charge or export is one.
		out[i].Kind = booksync.TaxRateKindOf(out[i].Name, out[i].Rate)
	}
	return out, nil
}

// accountTypes maps GnuCash account types onto Monite's.
var accountTypes = map[string]string{
	"ASSET": "Asset", "BANK": "Asset", "CASH": "Asset", "RECEIVABLE": "Asset", "STOCK": "Asset",
	"MUTUAL": "Asset", "TRADING": "Asset",
	"LIABILITY": "Liability", "PAYABLE": "Liability", "CREDIT": "Liability",
	"INCOME": "Income", "EXPENSE": "Expense", "EQUITY": "Equity",
}

// LedgerAccounts returns the book's accounts except the root: ID is the account's GUID (what
// invoice lines name), Code its account code, Name its full name ("Income:Sales"), Subtype
// GnuCash's account type; hidden accounts are Archived. Bank and cash accounts take payments;
// placeholders and the types GnuCash offers no invoice entry take no invoice lines (SalesRefusal).
func (b *Book) LedgerAccounts(ctx context.Context) ([]platform.LedgerAccount, error) {
	accts, err := b.accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []platform.LedgerAccount
	for _, a := range accts {
		if a.typ == "ROOT" {
			continue
		}
		typ, ok := accountTypes[a.typ]
		if !ok {
			typ = "Unknown"
		}
		status := "Active"
		if a.hidden {
			status = "Archived"
		}
		bank := a.typ == "BANK" || a.typ == "CASH"
		out = append(out, platform.LedgerAccount{ID: a.guid, Code: a.code, Name: a.fullName, Type: typ,
			Subtype: a.typ, Status: status, IsBank: bank, Currency: a.currency, Description: a.description,
			PaymentsAllowed: bank, SalesRefusal: salesRefusal(a.typ, a.placeholder)})
	}
	return out, nil
}

// entryRefusedTypes are the account types GnuCash does not offer for a customer invoice's
// entries (its entry ledger's skip_expense_acct_cb): receivable, payable, bank,
// cash, equity, trading and expense accounts.
var entryRefusedTypes = map[string]string{
	"ROOT": "the root", "RECEIVABLE": "an A/Receivable", "PAYABLE": "an A/Payable", "BANK": "a bank",
	"CASH": "a cash", "EQUITY": "an equity", "TRADING": "a trading", "EXPENSE": "an expense",
}

// salesRefusal says why an invoice line cannot be booked to an account, "" when it can.
func salesRefusal(typ string, placeholder bool) string {
	switch {
	case placeholder:
		return "it is a placeholder in GnuCash, which groups accounts and takes no postings"
	case entryRefusedTypes[typ] != "":
		return "it is " + entryRefusedTypes[typ] + " account, which GnuCash does not book invoice lines to"
	}
	return ""
}

// account is a row of the accounts table.
type account struct {
	guid, name, fullName, typ, code, description, currency, parent string
	hidden, placeholder                                            bool
}

// accounts reads every account with its full name, in the book's tree order by full name.
func (b *Book) accounts(ctx context.Context) ([]account, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT a.guid, a.name, a.account_type, COALESCE(a.code, ''),
		COALESCE(a.description, ''), COALESCE(c.mnemonic, ''), COALESCE(a.parent_guid, ''),
		COALESCE(a.hidden, 0), COALESCE(a.placeholder, 0)
		FROM accounts a LEFT JOIN commodities c ON c.guid = a.commodity_guid`)
	if err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	defer rows.Close()
	var all []account
	byGUID := map[string]int{}
	for rows.Next() {
		var a account
		if err := rows.Scan(&a.guid, &a.name, &a.typ, &a.code, &a.description, &a.currency, &a.parent,
			&a.hidden, &a.placeholder); err != nil {
			return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
		}
		byGUID[a.guid] = len(all)
		all = append(all, a)
	}
	if err := rows.Err(); err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	// Template accounts (of scheduled transactions) hang off a second root: leave them out.
	var out []account
	for i := range all {
		var parts []string
		j, top := i, ""
		for steps := 0; steps <= len(all); steps++ {
			if all[j].typ == "ROOT" {
				top = all[j].guid
				break
			}
			parts = append([]string{all[j].name}, parts...)
			k, ok := byGUID[all[j].parent]
			if !ok {
				break
			}
			j = k
		}
		if top != b.root {
			continue
		}
		all[i].fullName = strings.Join(parts, ":")
		out = append(out, all[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].fullName < out[j].fullName })
	return out, nil
}
