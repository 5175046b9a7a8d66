package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // to edit a GnuCash book as a GnuCash user would
)

// engineBook is what internal/platform/gnucash/testdata/readbook.py prints: a book as the real
// GnuCash engine reads it.
type engineBook struct {
	Invoices []struct {
		ID         string
		Owner      string
		Posted     bool
		Subtotal   string
		Tax        string
		Total      string
		LotBalance string `json:"lot_balance"`
	}
	Accounts     []struct{ Name, Code, Balance string }
	Transactions []struct {
		Num      string
		Balanced bool
	}
}

// readWithGnuCash opens a book with the real GnuCash engine (Debian's python3-gnucash). Without
// it the test skips locally and fails in CI (make test installs it).
func readWithGnuCash(t *testing.T, path string) engineBook {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import gnucash").Run(); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("BOOKSYNC_REQUIRE_GNUCASH") != "" {
			t.Fatalf("the GnuCash engine is not installed: run scripts/ensure-gnucash")
		}
		t.Skip("the GnuCash engine is not installed (apt-get install gnucash python3-gnucash libdbd-sqlite3, or make test)")
	}
	cmd := exec.Command("/usr/bin/python3", filepath.Join("..", "platform", "gnucash", "testdata", "readbook.py"), path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("readbook.py: %v\n%s", err, errb.String())
	}
	var b engineBook
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		t.Fatalf("readbook.py output: %v\n%s", err, out.String())
	}
	return b
}

// minorUnits converts the engine's fractions ("38967/100") to minor units.
func minorUnits(t *testing.T, s string, fraction int64) int64 {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad fraction %q", s)
	}
	r.Mul(r, big.NewRat(fraction, 1))
	if !r.IsInt() {
		t.Fatalf("%s is not a whole number of minor units", s)
	}
	return r.Num().Int64()
}

// TestGnuCashStory connects an entity to GnuCash books (no authorization), pushes invoices and a
// payment, and reads the book back with the real GnuCash engine: each invoice posted with
// booksync's totals, and the receivable account holding what is unpaid.
func TestGnuCashStory(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		var conn struct{ ID, Status, Platform string }
		c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, &conn)
		if conn.Status != "connected" || conn.Platform != "gnucash" {
			t.Fatalf("GnuCash connection: %+v", conn)
		}
		c.waitFor("the initial pull", func() bool {
			var l struct{ Data []any }
			c.do("GET", "/accounting_tax_rates", nil, 200, &l)
			return len(l.Data) > 0
		})
		sales := c.idByName("/ledger_accounts", "Income:Sales")
		bank := c.idByName("/ledger_accounts", "Assets:Current Assets:Checking Account")
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
		r := c.customerAndProduct("Acme Trading Ltd", nil)

		ids := map[string]string{}
		var totals = map[string]int64{}
		for _, lines := range [][]map[string]any{
			{line(r.product, 2.5, 2000)},
			{line(r.product, 1, 500), line(r.product, 3, 0)},
		} {
			id, num := c.issue(r, nil, lines...)
			if rec := c.record("receivable", id); rec.SyncStatus != "done" {
				t.Fatalf("invoice record %s", rec)
			}
			var inv struct {
				TotalAmount int64 `json:"total_amount"`
			}
			c.do("GET", "/receivables/"+id, nil, 200, &inv)
			ids[num], totals[num] = id, inv.TotalAmount
		}
		// Pay the first invoice in full.
		var first string
		for num := range totals {
			if first == "" || num < first {
				first = num
			}
		}
		var pay struct{ ID string }
		c.do("POST", "/payment_records", map[string]any{"amount": totals[first], "currency": "GBP", "object": map[string]any{"id": ids[first], "type": "receivable"}}, 201, &pay)
		if rec := c.record("payment_record", pay.ID); rec.SyncStatus != "done" {
			t.Fatalf("payment record %s", rec)
		}

		book := readWithGnuCash(t, filepath.Join(s.gnucashDir, c.entityID+".gnucash"))
		if len(book.Invoices) != 2 {
			t.Fatalf("the engine reads %d invoices", len(book.Invoices))
		}
		var unpaid int64
		for _, inv := range book.Invoices {
			if !inv.Posted || inv.Owner != "Acme Trading Ltd" || minorUnits(t, inv.Total, 100) != totals[inv.ID] {
				t.Fatalf("invoice %s as GnuCash reads it: %+v, booksync total %d", inv.ID, inv, totals[inv.ID])
			}
			unpaid += minorUnits(t, inv.LotBalance, 100)
		}
		// The first invoice is paid; what is owed is the second one's total.
		want := int64(0)
		for num, total := range totals {
			if num != first {
				want += total
			}
		}
		if unpaid != want {
			t.Fatalf("the invoices' lots hold %d unpaid, want %d", unpaid, want)
		}
		found := false
		for _, a := range book.Accounts {
			if a.Code == "1100" {
				found = true
				if minorUnits(t, a.Balance, 100) != want {
					t.Fatalf("receivables balance %s, unpaid %d", a.Balance, want)
				}
			}
		}
		if !found {
			t.Fatal("the book has no receivables account 1100")
		}
	})
}

// addGnuCashAccount adds an account to a book as a GnuCash user would (Accounts > New Account),
// under parent, without an account code.
func addGnuCashAccount(t *testing.T, book, parent, name, typ string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+book+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`INSERT INTO accounts (guid, name, account_type, commodity_guid, commodity_scu, non_std_scu,
		parent_guid, code, description, hidden, placeholder)
		SELECT ?, ?, ?, commodity_guid, commodity_scu, 0, guid, '', '', 0, 0 FROM accounts WHERE name = ?`,
		strings.ReplaceAll(uuid.NewString(), "-", ""), name, typ, parent)
	if err != nil {
		t.Fatal(err)
	}
}

// TestGnuCashBooksLinesToTheListedAccount: GET /ledger_accounts lists GnuCash's placeholder
// parents ("Income", first among the income accounts), which take no postings: naming one is
// refused when it is set, with the income accounts that can take the sale, and so is a push
// without an account. A line then posts to the
// account booksync listed, by its GUID, also when it has no account code, as the real GnuCash
// engine reads back. An invoice id the book does not hold is a 404.
func TestGnuCashBooksLinesToTheListedAccount(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		var conn struct{ ID string }
		c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, &conn)
		c.waitFor("the initial pull", func() bool {
			var l struct{ Data []any }
			c.do("GET", "/accounting_tax_rates", nil, 200, &l)
			return len(l.Data) > 0
		})
		placeholder := c.idByName("/ledger_accounts", "Income")
		sales := c.idByName("/ledger_accounts", "Income:Sales")
		vatPayable := c.idByName("/ledger_accounts", "Liabilities:VAT Payable")
		// Refused when set, naming the income accounts that take sales (and no other account).
		for _, req := range []struct {
			method, path string
			body         map[string]any
		}{
			{"PATCH", "/entities/" + c.entityID + "/settings", map[string]any{"accounting": map[string]any{"ledger_account_ids": map[string]any{"products": placeholder}}}},
			{"POST", "/products", map[string]any{"name": "P", "price": map[string]any{"currency": "GBP", "value": 100}, "ledger_account_id": placeholder}},
		} {
			text := string(c.do(req.method, req.path, req.body, 422, nil))
			if !strings.Contains(text, "ledger account "+placeholder+" (Income) cannot take sales: it is a placeholder") ||
				!strings.Contains(text, "Income:Sales ("+sales+")") || strings.Contains(text, vatPayable) {
				t.Fatalf("%s %s with a placeholder account: %s", req.method, req.path, text)
			}
		}
		r := c.customerAndProduct("Acme Trading Ltd", nil)
		id, num := c.issue(r, nil, line(r.product, 2, 2000))
		rec := c.record("receivable", id)
		if rec.SyncStatus != "error" || rec.Errors.Status != "ledger_account_not_set" ||
			!strings.Contains(rec.Errors.Details[0].Fix, "Income:Sales ("+sales+")") ||
			strings.Contains(rec.Errors.Details[0].Fix, placeholder) || strings.Contains(rec.Errors.Details[0].Fix, vatPayable) {
			t.Fatalf("no account: %s", rec)
		}
		path := filepath.Join(s.gnucashDir, c.entityID+".gnucash")
		if b := readWithGnuCash(t, path); len(b.Invoices) != 0 {
			t.Fatalf("the book holds %d invoices after a refused push", len(b.Invoices))
		}

		// An account a GnuCash user added, without a code.
		addGnuCashAccount(t, path, "Income", "Consulting", "INCOME")
		c.do("POST", "/accounting_connections/"+conn.ID+"/sync", nil, 202, nil)
		var consulting string
		c.waitFor("the new account to be pulled", func() bool {
			var l struct{ Data []struct{ ID, Name string } }
			c.do("GET", "/ledger_accounts?limit=250", nil, 200, &l)
			for _, a := range l.Data {
				if a.Name == "Income:Consulting" {
					consulting = a.ID
				}
			}
			return consulting != ""
		})
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": consulting}}}, 200, nil)
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
			t.Fatalf("after choosing Income:Consulting: %s", rec)
		}
		var inv struct {
			Subtotal int64 `json:"subtotal"`
		}
		c.do("GET", "/receivables/"+id, nil, 200, &inv)
		book := readWithGnuCash(t, path)
		if len(book.Invoices) != 1 || book.Invoices[0].ID != num {
			t.Fatalf("the engine reads %+v", book.Invoices)
		}
		for _, a := range book.Accounts {
			var want int64
			// The engine joins names with its own separator.
			if strings.HasSuffix(a.Name, "Consulting") {
				want = -inv.Subtotal // income is a credit balance
			}
			if strings.HasPrefix(a.Name, "Income") && minorUnits(t, a.Balance, 100) != want {
				t.Fatalf("%s holds %s, want %d", a.Name, a.Balance, want)
			}
		}

		var back struct {
			Lines []struct {
				LedgerAccountID string `json:"ledger_account_id"`
			}
		}
		c.do("GET", "/accounting/receivables/"+*rec.PlatformObjectID, nil, 200, &back)
		if len(back.Lines) != 1 || back.Lines[0].LedgerAccountID != consulting {
			t.Fatalf("read back: %+v", back)
		}
		c.do("GET", "/accounting/receivables/"+strings.ReplaceAll(uuid.NewString(), "-", ""), nil, 404, nil)
	})
}
