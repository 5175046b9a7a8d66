package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/vatrates"
)

// vatKindMigration is the text of migration 0007, which gives the lines stored before lines kept
// their VAT rate's kind (vat_rate_kind) the kind of their reverse-charge or export vat_rate_id.
func vatKindMigration(t *testing.T) string {
	t.Helper()
	table, err := vatrates.Load()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`-- Invoice lines keep the kind of their VAT rate (vat_rate_kind), so that a reverse-charged or export
-- line is pushed with the books' rate of that kind. Lines stored before get it here from their
-- vat_rate_id: a rate's id is derived from its country, kind and value (booksync.VatRateIDOf), so
-- the id of every reverse-charge and export rate is known. Lines are the JSON that
-- booksync.MarshalStoredLines wrote, whose last field was vat_rate_id. Standard and reduced rates
-- need no kind to be pushed. Written by internal/store's TestVatKindMigration
-- (BOOKSYNC_WRITE_MIGRATION=1 go test ./internal/store -run TestVatKindMigration).
`)
	for _, c := range table.Countries() {
		kinds := []booksync.VATRateKind{booksync.VATRateExport}
		if c.EU {
			kinds = append([]booksync.VATRateKind{booksync.VATRateReverseCharge}, kinds...)
		}
		for _, k := range kinds {
			id := booksync.VatRateIDOf(c.Country, k, 0)
			fmt.Fprintf(&b, "UPDATE receivables SET lines = REPLACE(lines, '\"vat_rate_id\":\"%s\"}', '\"vat_rate_id\":\"%s\",\"vat_rate_kind\":\"%s\"}') WHERE lines LIKE '%%%s%%';\n",
				id, id, k, id)
		}
	}
	return b.String()
}

// TestVatKindMigration gives a reverse-charged line stored before lines kept their VAT rate's
// kind that kind, by running migration 0007 again on a line stored the old way (its vat_rate_id
// last), and leaves a standard-rated line alone. The migration lists every reverse-charge and
// export rate of the rate data (the data booksync had when lines began to keep their kind).
func TestVatKindMigration(t *testing.T) {
	t.Parallel()
	want := vatKindMigration(t)
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("migrations", strings.ToLower(d.name), "0007_vat_rate_kind.sql")
			if os.Getenv("BOOKSYNC_WRITE_MIGRATION") != "" {
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			migration, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(migration) != want {
				t.Fatalf("%s does not list the rates of the data; rewrite it with BOOKSYNC_WRITE_MIGRATION=1 go test ./internal/store -run TestVatKindMigration", path)
			}
			s := d.open(t, store.Options{})
			ctx := context.Background()
			entityID, id := fixture(t, s)
			reverse, standard := booksync.VatRateIDOf("DE", booksync.VATRateReverseCharge, 0), booksync.VatRateIDOf("DE", booksync.VATRateStandard, 1900)
			old, err := booksync.MarshalStoredLines([]booksync.LineItem{{VatRateID: &reverse}, {VatRateID: &standard}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(string(old), `"vat_rate_id":"`+standard+`"}]`) {
				t.Fatalf("stored lines %s: vat_rate_id is no longer their last field, which the migration relies on", old)
			}
			if _, err := s.Writer().ExecContext(ctx, "UPDATE receivables SET lines = $1 WHERE id = $2", string(old), id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Writer().ExecContext(ctx, string(migration)); err != nil {
				t.Fatal(err)
			}
			r, err := s.Receivable(ctx, entityID, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := []booksync.VATRateKind{r.LineItems[0].VatRateKind, r.LineItems[1].VatRateKind}; got[0] != booksync.VATRateReverseCharge || got[1] != "" {
				t.Errorf("kinds after the migration %v, want [reverse_charge, none]", got)
			}
		})
	}
}
