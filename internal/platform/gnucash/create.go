package gnucash

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/salestax"
)

// starterAccount is an account of a new book's chart.
type starterAccount struct {
	path        string // colon-separated, e.g. "Assets:Current Assets:Checking Account"
	typ         string // GnuCash account type
	code        string
	placeholder bool
}

// starterChart returns the chart of accounts of a new book. Placeholder parents have no code;
// every account that takes postings has one. taxAccount names the tax liability account.
func starterChart(taxAccount string) []starterAccount {
	return []starterAccount{
		{"Assets", "ASSET", "", true},
		{"Assets:Current Assets", "ASSET", "", true},
		{"Assets:Current Assets:Checking Account", "BANK", "1010", false},
		{"Assets:Accounts Receivable", "RECEIVABLE", "1100", false},
		{"Liabilities", "LIABILITY", "", true},
		{"Liabilities:" + taxAccount, "LIABILITY", "2200", false},
		{"Equity", "EQUITY", "", true},
		{"Equity:Opening Balances", "EQUITY", "3000", false},
		{"Income", "INCOME", "", true},
		{"Income:Sales", "INCOME", "4000", false},
		{"Income:Services", "INCOME", "4100", false},
	}
}

// starterTax is a tax table of a new book: one percent entry on the tax account.
type starterTax struct {
	name    string
	percent string // decimal percent, e.g. "5.5"
}

// starterTaxTables returns a country's tax tables and the name of its tax liability account.
func starterTaxTables(country string) ([]starterTax, string) {
	switch strings.ToUpper(country) {
	case "GB":
		return []starterTax{{"VAT 20%", "20"}, {"VAT 5%", "5"}, {"VAT 0%", "0"}}, "VAT Payable"
	case "DE":
		return append([]starterTax{{"USt 19%", "19"}, {"USt 7%", "7"}, {"USt 0%", "0"}}, euSaleTaxes("USt")...), "VAT Payable"
	case "FR":
		return append([]starterTax{{"TVA 20%", "20"}, {"TVA 10%", "10"}, {"TVA 5.5%", "5.5"}, {"TVA 0%", "0"}}, euSaleTaxes("TVA")...), "VAT Payable"
	case "US":
		// A table per place of booksync's published state and local rates, each at the place's
		// combined rate: an invoice line names the rate of where its customer is.
		taxes := []starterTax{{"No tax", "0"}}
		for _, p := range salestax.Places() {
			if !p.Combined().IsZero() {
				taxes = append(taxes, starterTax{"Sales Tax " + p.Label(), p.Combined().String()})
			}
		}
		return taxes, "Sales Tax Payable"
	case "AU":
		return []starterTax{{"GST 10%", "10"}, {"GST Free", "0"}}, "GST Payable"
	default:
		return []starterTax{{"Tax 0%", "0"}}, "Tax Payable"
	}
}

// euSaleTaxes are the 0% tax tables of an EU member state's book for its sales abroad: to a
// business registered for VAT in another member state, which accounts for the VAT itself (reverse
// charge), and outside the EU (export). booksync pushes lines of those kinds with them, so that
// the book tells them apart from domestic zero-rated sales.
func euSaleTaxes(tax string) []starterTax {
	return []starterTax{{tax + " 0% reverse charge (EU)", "0"}, {tax + " 0% export", "0"}}
}

// currencyNames holds the ISO 4217 names and numeric codes GnuCash writes for common currencies;
// others get their code as name (GnuCash uses its own ISO table for display either way).
var currencyNames = map[string][2]string{
	"GBP": {"Pound Sterling", "826"}, "EUR": {"Euro", "978"}, "USD": {"US Dollar", "840"},
	"JPY": {"Yen", "392"}, "CHF": {"Swiss Franc", "756"}, "CAD": {"Canadian Dollar", "124"},
	"AUD": {"Australian Dollar", "036"}, "SEK": {"Swedish Krona", "752"}, "KWD": {"Kuwaiti Dinar", "414"},
}

// create writes a new book to path: into a temporary file first, linked into place only when
// complete, so that a crash never leaves half a book and two processes never both create it.
func create(dir, path, name, country, currency string) error {
	fraction, ok := fractionOf(currency)
	if !ok {
		return &platform.Error{Class: platform.NeedsUserAction, Code: "currency_not_supported",
			Message: fmt.Sprintf("Currency %q is not supported for a new GnuCash book", currency)}
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return transient("book_create_failed", "GnuCash book cannot be created", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath)
	db, err := openDB(tmpPath)
	if err != nil {
		return transient("book_create_failed", "GnuCash book cannot be created", err)
	}
	err = func() error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := seed(tx, country, currency, fraction); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return transient("book_create_failed", "GnuCash book cannot be created", err)
	}
	if err := os.Link(tmpPath, path); err != nil && !errors.Is(err, os.ErrExist) {
		return transient("book_create_failed", "GnuCash book cannot be created", err)
	}
	return nil
}

// seed writes the schema and the content of a new book.
func seed(tx *sql.Tx, country, currency string, fraction int64) error {
	for _, stmt := range schema {
		if _, err := tx.Exec(stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	for _, v := range tableVersions {
		if _, err := tx.Exec(`INSERT INTO versions (table_name, table_version) VALUES (?, ?)`, v.name, v.version); err != nil {
			return err
		}
	}
	book, root, template := newGUID(), newGUID(), newGUID()
	// The template root (for scheduled transactions) is not a row: GnuCash 4.13 writes template
	// accounts only once a scheduled transaction exists.
	if _, err := tx.Exec(`INSERT INTO books (guid, root_account_guid, root_template_guid) VALUES (?, ?, ?)`,
		book, root, template); err != nil {
		return err
	}
	features := newGUID()
	if err := insertSlot(tx, slot{obj: book, name: "features", typ: slotFrame, guid: features}); err != nil {
		return err
	}
	if err := insertSlot(tx, slot{obj: features, name: isoDatesFeature, typ: slotString, str: isoDatesFeatureText}); err != nil {
		return err
	}
	if err := insertFramed(tx, book, "booksync", slot{name: "booksync/country", typ: slotString,
		str: strings.ToUpper(country)}); err != nil {
		return err
	}
	comm := newGUID()
	names, ok := currencyNames[currency]
	if !ok {
		names = [2]string{currency, ""}
	}
	if _, err := tx.Exec(`INSERT INTO commodities (guid, namespace, mnemonic, fullname, cusip, fraction,
		quote_flag, quote_source, quote_tz) VALUES (?, 'CURRENCY', ?, ?, ?, ?, 1, 'currency', '')`,
		comm, currency, names[0], names[1], fraction); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO accounts (guid, name, account_type, commodity_guid, commodity_scu,
		non_std_scu, parent_guid, code, description, hidden, placeholder)
		VALUES (?, 'Root Account', 'ROOT', NULL, 0, 0, NULL, '', '', 0, 0)`, root); err != nil {
		return err
	}
	taxes, taxAccount := starterTaxTables(country)
	guids := map[string]string{"": root}
	var taxGUID string
	for _, a := range starterChart(taxAccount) {
		g := newGUID()
		parent, name := "", a.path
		if i := strings.LastIndex(a.path, ":"); i >= 0 {
			parent, name = a.path[:i], a.path[i+1:]
		}
		guids[a.path] = g
		if _, err := tx.Exec(`INSERT INTO accounts (guid, name, account_type, commodity_guid, commodity_scu,
			non_std_scu, parent_guid, code, description, hidden, placeholder)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?, '', 0, ?)`,
			g, name, a.typ, comm, fraction, guids[parent], a.code, a.placeholder); err != nil {
			return err
		}
		if a.path == "Liabilities:"+taxAccount {
			taxGUID = g
		}
	}
	for _, t := range taxes {
		g := newGUID()
		if _, err := tx.Exec(`INSERT INTO taxtables (guid, name, refcount, invisible, parent) VALUES (?, ?, 0, 0, NULL)`,
			g, t.name); err != nil {
			return err
		}
		num, denom := decimalFraction(t.percent)
		if _, err := tx.Exec(`INSERT INTO taxtable_entries (taxtable, account, amount_num, amount_denom, type)
			VALUES (?, ?, ?, ?, ?)`, g, taxGUID, num, denom, taxPercent); err != nil {
			return err
		}
	}
	return nil
}

// Tax table entry types (GncAmountType): 1 is a fixed value, 2 a percentage.
const (
	taxValue   = 1
	taxPercent = 2
)

// decimalFraction turns a short decimal literal ("5.5") into num/denom (55/10).
func decimalFraction(s string) (int64, int64) {
	var num, denom int64 = 0, 1
	seenDot := false
	for _, c := range s {
		if c == '.' {
			seenDot = true
			continue
		}
		num = num*10 + int64(c-'0')
		if seenDot {
			denom *= 10
		}
	}
	return num, denom
}
