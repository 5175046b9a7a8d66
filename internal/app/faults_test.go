package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
)

// ready connects an entity and sets the settings pushes need.
func (c *client) ready() (refs, string, string) {
	connID, tenant := c.connect()
	sales := c.idByName("/ledger_accounts", "Sales")
	bank := c.idByName("/ledger_accounts", "Business Bank Account")
	c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
		"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
	return c.customerAndProduct("Faulty Customer Ltd", nil), connID, tenant
}

// TestFaultsEndExactlyOnce makes the sandbox fail in each way Xero can, and checks that every
// invoice ends in the books exactly once and every record says so truthfully.
func TestFaultsEndExactlyOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r, _, tenant := c.ready()
		faults := []sandbox.Fault{
			{Kind: sandbox.FaultServerError, Count: 2},
			{Kind: sandbox.FaultRateLimit, Count: 2},
			{Kind: sandbox.FaultTimeoutAfterStore, Count: 1, Path: "/Invoices"},
			{Kind: sandbox.FaultTimeoutAfterStore, Count: 1, Path: "/Contacts"},
		}
		var ids []string
		for _, f := range faults {
			if f.Path == "/Contacts" {
				// A contact is only created for a customer not in the books yet.
				r = c.customerAndProduct("Second Customer Ltd", nil)
			}
			c.armFault("xero", tenant, map[string]any{"kind": f.Kind, "count": f.Count, "path": f.Path})
			for i := 0; i < 3; i++ {
				id, _ := c.issue(r, nil, line(r.product, float64(i+1), 2000))
				ids = append(ids, id)
			}
			for _, id := range ids[len(ids)-3:] {
				if rec := c.record("receivable", id); rec.SyncStatus != "done" {
					t.Fatalf("after %s: record %s", f.Kind, rec)
				}
			}
			if n := s.app.XeroSandbox.PendingFaults(tenant); n != 0 {
				t.Fatalf("%d %s faults never fired", n, f.Kind)
			}
		}
		byNumber := map[string]int{}
		byID := map[string]bool{}
		for _, b := range s.app.XeroSandbox.Invoices(tenant) {
			byNumber[b.InvoiceNumber]++
			byID[b.InvoiceID] = true
		}
		if len(byNumber) != len(ids) {
			t.Fatalf("%d invoices issued, %d in the books: %v", len(ids), len(byNumber), byNumber)
		}
		for n, k := range byNumber {
			if k != 1 {
				t.Fatalf("invoice %s is in the books %d times", n, k)
			}
		}
		for _, id := range ids {
			rec := c.record("receivable", id)
			if rec.PlatformObjectID == nil || !byID[*rec.PlatformObjectID] {
				t.Fatalf("record %s names an invoice the books do not have", rec)
			}
		}
		if n := len(s.app.XeroSandbox.Contacts(tenant)); n != 2 {
			t.Fatalf("%d contacts in the books for two customers", n)
		}
	})
}

// TestRevokedGrantDeauthorizes revokes the grant in the sandbox: the connection becomes
// deauthorized with an error that says to reconnect, and the invoice waits, pending, not lost.
func TestRevokedGrantDeauthorizes(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r, connID, tenant := c.ready()
		c.armFault("xero", tenant, map[string]any{"kind": "revoke"})
		id, _ := c.issue(r, nil, line(r.product, 1, 2000))
		var conn struct {
			Status string
			Errors []struct{ Message string }
		}
		c.waitFor("the connection to be deauthorized", func() bool {
			c.do("GET", "/accounting_connections/"+connID, nil, 200, &conn)
			return conn.Status == "deauthorized"
		})
		if len(conn.Errors) != 1 || !strings.Contains(conn.Errors[0].Message, "Reconnect") {
			t.Fatalf("deauthorized connection errors: %+v", conn.Errors)
		}
		var l struct{ Data []record }
		c.do("GET", "/accounting_synced_records?object_type=receivable&object_id="+id, nil, 200, &l)
		if len(l.Data) != 1 || l.Data[0].SyncStatus != "pending" {
			t.Fatalf("invoice record after revocation: %v", l.Data)
		}
		if n := len(s.app.XeroSandbox.Invoices(tenant)); n != 0 {
			t.Fatalf("%d invoices reached the books with a revoked grant", n)
		}
		c.do("POST", "/accounting_connections/"+connID+"/sync", nil, 409, nil)
	})
}

// TestAccessTokenEndedEarlyIsRefreshed ends the connection's access token in the sandbox before the
// expiry booksync was told (as a platform may, and as a fast clock makes it look): booksync
// refreshes it and sends the refused calls again with the new token, so every invoice lands and
// the connection stays connected. Only a refused refresh disconnects.
func TestAccessTokenEndedEarlyIsRefreshed(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		for _, platform := range []string{"xero", "quickbooks"} {
			c := s.partner().newEntity()
			var r refs
			var connID string
			var expire func()
			if platform == "xero" {
				var tenant string
				r, connID, tenant = c.ready()
				expire = func() {
					s.app.XeroSandbox.InjectFault(tenant, sandbox.Fault{Kind: sandbox.FaultExpireAccessTokens})
				}
			} else {
				connID = c.connectPlatform("quickbooks", nil)
				companies := s.app.QuickBooksSandbox.Companies()
				realm := companies[len(companies)-1]
				sales := c.idByName("/ledger_accounts", "Sales of Product Income")
				c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
					"ledger_account_ids": map[string]any{"products": sales}}}, 200, nil)
				r = c.customerAndProduct("Early Expiry Ltd", nil)
				expire = func() {
					s.app.QuickBooksSandbox.InjectFault(realm, sandbox.Fault{Kind: sandbox.FaultExpireAccessTokens})
				}
			}
			// Twice: the token a refresh gave can end early too.
			for round := 1; round <= 2; round++ {
				_, before, err := s.app.Store.ConnectionToken(context.Background(), connID)
				if err != nil {
					t.Fatal(err)
				}
				expire()
				var ids []string
				for i := 0; i < 3; i++ {
					id, _ := c.issue(r, nil, line(r.product, float64(i+1), 2000))
					ids = append(ids, id)
				}
				for _, id := range ids {
					if rec := c.record("receivable", id); rec.SyncStatus != "done" {
						t.Fatalf("%s, round %d: record %s", platform, round, rec)
					}
				}
				if _, after, err := s.app.Store.ConnectionToken(context.Background(), connID); err != nil || after == before {
					t.Fatalf("%s, round %d: the token was not refreshed (version %d, %v)", platform, round, after, err)
				}
			}
			var conn struct {
				Status string
				Errors []struct{ Message string }
			}
			c.do("GET", "/accounting_connections/"+connID, nil, 200, &conn)
			if conn.Status != "connected" || len(conn.Errors) != 0 {
				t.Fatalf("%s connection after early expiries: %+v", platform, conn)
			}
		}
	})
}

// TestLifecycleFaultsEndExactlyOnce makes Xero fail in each way it can while booksync voids an
// invoice, pushes and allocates a credit note, and pulls a payment made in the books: each ends
// exactly once, on both sides.
func TestLifecycleFaultsEndExactlyOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r, connID, tenant := c.ready()
		invoiceIn := func(id string) (status string, due int64) {
			for _, inv := range s.app.XeroSandbox.Invoices(tenant) {
				if inv.InvoiceID == id {
					return inv.Status, inv.AmountDue.Shift(2).IntPart()
				}
			}
			t.Fatalf("Xero has no invoice %s", id)
			return "", 0
		}
		for _, kind := range []sandbox.FaultKind{sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultTimeoutAfterStore} {
			count := 2
			if kind == sandbox.FaultTimeoutAfterStore {
				count = 1
			}
			pushed := func() (string, string) {
				id, _ := c.issue(r, nil, line(r.product, 2, 2000)) // 296.28
				rec := c.record("receivable", id)
				if rec.SyncStatus != "done" {
					t.Fatalf("invoice record: %s", rec)
				}
				return id, *rec.PlatformObjectID
			}

			// A void.
			voided, voidedX := pushed()
			c.armFault("xero", tenant, map[string]any{"kind": kind, "count": count, "path": "/Invoices"})
			c.do("POST", "/receivables/"+voided+"/cancel", nil, 204, nil)
			if rec := c.record("receivable", voided); rec.SyncStatus != "done" {
				t.Fatalf("void after %s: %s", kind, rec)
			}
			if status, due := invoiceIn(voidedX); status != "VOIDED" || due != 0 {
				t.Fatalf("after %s the voided invoice is %s with %d due in Xero", kind, status, due)
			}

			// A credit note of half the invoice, allocated once.
			credited, creditedX := pushed()
			var cn struct{ ID string }
			c.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": credited}, 201, &cn)
			c.do("PUT", "/receivables/"+cn.ID+"/line_items", map[string]any{"data": []any{line(r.product, 1, 2000)}}, 200, nil)
			c.armFault("xero", tenant, map[string]any{"kind": kind, "count": count, "path": "/CreditNotes"})
			var issued struct {
				DocumentID string `json:"document_id"`
			}
			c.do("POST", "/receivables/"+cn.ID+"/issue", nil, 200, &issued)
			if rec := c.record("receivable", cn.ID); rec.SyncStatus != "done" {
				t.Fatalf("credit note after %s: %s", kind, rec)
			}
			notes := 0
			for _, n := range s.app.XeroSandbox.CreditNotes(tenant) {
				if n.CreditNoteNumber == issued.DocumentID {
					notes++
					if len(n.Allocations) != 1 {
						t.Fatalf("after %s credit note %s has %d allocations", kind, n.CreditNoteNumber, len(n.Allocations))
					}
				}
			}
			if _, due := invoiceIn(creditedX); notes != 1 || due != 29628-14814 {
				t.Fatalf("after %s: %d credit notes %s in Xero, invoice due %d", kind, notes, issued.DocumentID, due)
			}

			// A payment made in the books, pulled.
			paid, paidX := pushed()
			c.script("/sandbox/xero/invoices/"+paidX+"/payments", map[string]string{"amount": "50.00", "date": "2026-11-20"}, 201)
			if kind != sandbox.FaultTimeoutAfterStore { // a pull stores nothing: only reads fail
				c.armFault("xero", tenant, map[string]any{"kind": kind, "count": count, "path": "/Payments"})
			}
			c.syncNow(connID)
			c.syncNow(connID)
			if got := c.receivable(paid); got.AmountPaid != 5000 || len(c.paymentsOf(paid)) != 1 {
				t.Fatalf("after %s the payment made in Xero is here %d times (paid %d)", kind, len(c.paymentsOf(paid)), got.AmountPaid)
			}
			if n := s.app.XeroSandbox.PendingFaults(tenant); n != 0 {
				t.Fatalf("%d %s faults never fired", n, kind)
			}
		}
	})
}
