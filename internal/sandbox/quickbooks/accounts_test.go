package quickbooks

import (
	"testing"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// Accounts are created with a derived Classification and may be made inactive; queries then
// leave them out unless they ask for inactive ones.
func TestAccountsCreatedAndMadeInactive(t *testing.T) {
	b := setup(t).connect("")
	a := sandboxtest.DecodeKey[Account](t, b.api("POST", "/account", map[string]any{"Name": "Old expense", "AccountType": "Expense", "Description": "gone"}).MustStatus(t, 200), "Account")
	if a.ID != "11" || a.Classification != "Expense" || a.AccountSubType != "Expense" || a.AcctNum != "" || a.Description != "gone" || !a.Active || a.CurrencyRef.Value != "GBP" {
		t.Fatalf("account %+v", a)
	}
	u := sandboxtest.DecodeKey[Account](t, b.api("POST", "/account", map[string]any{"Id": a.ID, "SyncToken": a.SyncToken, "sparse": true, "Active": false}).MustStatus(t, 200), "Account")
	if u.Active || u.SyncToken != "1" || u.Name != "Old expense" {
		t.Fatalf("updated %+v", u)
	}
	if rows := b.query("select * from Account where Name = 'Old expense'"); len(rows["Account"]) != 0 {
		t.Errorf("inactive account listed: %s", rows["Account"])
	}
	if rows := b.query("select * from Account where Active in (true, false) and Name = 'Old expense'"); len(rows["Account"]) == 0 {
		t.Errorf("inactive account not found: %v", rows)
	}
	for _, bad := range []map[string]any{{"Name": "Checking", "AccountType": "Bank"}, {"Name": "X", "AccountType": "Bank", "AcctNum": "1000"},
		{"Name": "Y"}, {"Name": "Z", "AccountType": "Savings"}, {"Name": "A:B", "AccountType": "Bank"}} {
		if r := b.api("POST", "/account", bad); r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
}
