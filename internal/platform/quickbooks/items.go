package quickbooks

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// QuickBooks' limits on items (Item in Finance.xsd, and Intuit's entity page).
const (
	maxItemName = 100
	maxItemSku  = 100
)

// PushItems matches each item by code (QuickBooks' Sku) and then by Name (both case-insensitive;
// QuickBooks keeps item names unique), and creates the rest as Service items through the batch
// endpoint, 30 a request, with Sku = Code, UnitPrice, Description and IncomeAccountRef: the
// account whose AcctNum (or else Id) is AccountCode. Under US sales tax the item is Taxable when
// TaxCode is TAX; elsewhere TaxCode becomes its SalesTaxCodeRef.
//
// A name QuickBooks says is taken (6240) is looked up again and matched when an active item has
// it; otherwise the item fails with item_name_taken.
//
// When the returned error is non-nil, results is either nil or has one result per item, as for
// PushContacts.
func (c *Client) PushItems(ctx context.Context, items []platform.Item) ([]platform.Result, error) {
	results := make([]platform.Result, len(items))
	names := make([]string, len(items))
	for i, it := range items {
		results[i].Ref = it.Ref
		names[i] = itemName(it)
		switch {
		case names[i] == "":
			results[i].Err = precheck("item_name_missing", "Name", "Item name missing: QuickBooks requires a name for every product", "Give the product a name in booksync, then push again.")
		case len([]rune(it.Code)) > maxItemSku:
			results[i].Err = precheck("item_code_too_long", "Sku", "Item code too long for QuickBooks (at most 100 characters)", "Shorten the product's code (SKU) to 100 characters or fewer, then push again.")
		}
	}
	var codes, lookupNames []string
	for i, it := range items {
		if results[i].Err == nil {
			codes = append(codes, it.Code)
			lookupNames = append(lookupNames, names[i])
		}
	}
	bySku, byName, err := c.findItems(ctx, codes, lookupNames)
	if err != nil {
		return nil, err
	}

	accts := &accounts{c: c}
	var pending []int
	var refs []string
	var objs []json.RawMessage
	first := map[string]int{}
	var dups [][2]int
	for i, it := range items {
		if results[i].Err != nil {
			continue
		}
		w, ok := bySku[strings.ToLower(it.Code)]
		if !ok || it.Code == "" {
			w, ok = byName[strings.ToLower(names[i])]
		}
		if ok {
			results[i].Matched, results[i].PlatformID, results[i].UpdatedAt = true, w.Id, updatedAt(w.MetaData)
			continue
		}
		key := "name:" + strings.ToLower(names[i])
		if it.Code != "" {
			key = "code:" + strings.ToLower(it.Code)
		}
		if j, ok := first[key]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		if it.AccountCode == "" {
			results[i].Err = precheck("ledger_account_missing", "IncomeAccountRef", "Ledger account is not set: QuickBooks requires an income account for every product",
				"Set the product's ledger_account_id, or the entity's accounting.ledger_account_ids.products, then push again.")
			continue
		}
		acct, ok, err := accts.resolve(ctx, it.AccountCode)
		if err != nil {
			return nil, err
		}
		if !ok {
			results[i].Err = accountMissing("IncomeAccountRef", it.AccountCode)
			continue
		}
		first[key] = i
		pending = append(pending, i)
		refs = append(refs, it.Ref)
		objs = append(objs, mustMarshal(itemToWire(it, names[i], acct.Id)))
	}
	done, err := c.createBatch(ctx, "item", "Item", refs, objs, created(results, pending,
		func(w *wireItem) (string, *wireMetaData) { return w.Id, w.MetaData }))
	if err != nil {
		failRest(results, pending, done, err)
		copyDuplicates(results, dups)
		return results, err
	}
	var taken []int
	var takenNames []string
	for _, i := range pending {
		if codeOf(results[i].Err) == "item_name_taken" {
			taken = append(taken, i)
			takenNames = append(takenNames, names[i])
		}
	}
	if len(taken) > 0 {
		_, again, err := c.findItems(ctx, nil, takenNames)
		if err != nil {
			failRest(results, taken, 0, err)
			copyDuplicates(results, dups)
			return results, err
		}
		for _, i := range taken {
			if w, ok := again[strings.ToLower(names[i])]; ok {
				results[i] = platform.Result{Ref: results[i].Ref, PlatformID: w.Id, Matched: true, UpdatedAt: updatedAt(w.MetaData)}
			}
		}
	}
	copyDuplicates(results, dups)
	return results, nil
}

// itemName is the item's QuickBooks Name: its name, or its code without one, without the
// characters QuickBooks refuses in names, at most 100 characters.
func itemName(it platform.Item) string {
	n := clean(it.Name, true)
	if n == "" {
		n = clean(it.Code, true)
	}
	return truncate(n, maxItemName)
}

// itemToWire builds the Service item to create.
func itemToWire(it platform.Item, name, accountID string) wireItem {
	w := wireItem{Type: "Service", Name: name, Sku: it.Code, Description: truncate(it.Description, 4000),
		UnitPrice: major(it.UnitPrice, it.Currency), IncomeAccountRef: ref(accountID)}
	switch it.TaxCode {
	case "":
	case TaxableCode, NonTaxableCode:
		taxable := it.TaxCode == TaxableCode
		w.Taxable = &taxable
	default:
		w.SalesTaxCodeRef = ref(it.TaxCode)
	}
	return w
}

// findItems looks active items up by Sku and by Name, and returns them by lower-cased Sku and by
// lower-cased Name. QuickBooks' query language has no OR, hence two queries per chunk.
func (c *Client) findItems(ctx context.Context, codes, names []string) (bySku, byName map[string]wireItem, err error) {
	bySku, byName = map[string]wireItem{}, map[string]wireItem{}
	for _, q := range []struct {
		field  string
		values []string
		into   map[string]wireItem
		key    func(wireItem) string
	}{
		{"Sku", codes, bySku, func(w wireItem) string { return w.Sku }},
		{"Name", names, byName, func(w wireItem) string { return w.Name }},
	} {
		var quoted []string
		seen := map[string]bool{}
		for _, v := range q.values {
			if qv, ok := quote(v); ok && !seen[strings.ToLower(v)] {
				seen[strings.ToLower(v)] = true
				quoted = append(quoted, qv)
			}
		}
		for _, list := range inChunks(quoted, lookupValues, lookupLength) {
			rows, err := queryAll[wireItem](ctx, c, "Item", q.field+" in "+list)
			if err != nil {
				return nil, nil, err
			}
			for _, w := range rows {
				k := strings.ToLower(q.key(w))
				if _, dup := q.into[k]; !dup && k != "" && active(w.Active) {
					q.into[k] = w
				}
			}
		}
	}
	return bySku, byName, nil
}
