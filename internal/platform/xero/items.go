package xero

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// Xero's limits on items (components/schemas/Item).
const (
	maxItemCode = 30
	maxItemName = 50
)

// PushItems matches each item by code (case-insensitive, as Xero compares codes), and creates the
// rest in requests of 50. Invoice lines name their item by booksync's code, so an item of another
// code is no match, whatever its name. Names longer than Xero's 50 characters are truncated.
//
// When the returned error is non-nil, results is either nil or has one result per item, as for
// PushContacts.
func (c *Client) PushItems(ctx context.Context, items []platform.Item) ([]platform.Result, error) {
	results := make([]platform.Result, len(items))
	for i, it := range items {
		results[i].Ref = it.Ref
		switch {
		case it.Code == "":
			results[i].Err = precheck("item_code_missing", "Code", "Item code missing: Xero requires a code for every item", "Give the product a code (SKU) in booksync, then push again.")
		case len([]rune(it.Code)) > maxItemCode:
			results[i].Err = precheck("item_code_too_long", "Code", "Item code too long for Xero (at most 30 characters)", "Shorten the product's code to 30 characters or fewer, then push again.")
		}
	}
	var terms []string
	for i, it := range items {
		if results[i].Err != nil {
			continue
		}
		if v, ok := whereValue(it.Code); ok {
			terms = append(terms, "Code=="+v)
		}
	}
	var found []wireItem
	for _, where := range filterChunks(terms, lookupTerms, lookupLength) {
		// GET /Items is not paged: Xero returns every match.
		var env struct {
			Items []wireItem `json:"Items"`
		}
		if err := c.get(ctx, "/Items", url.Values{"where": {where}}, nil, &env); err != nil {
			return nil, err
		}
		found = append(found, env.Items...)
	}
	byCode := map[string]wireItem{}
	for _, w := range found {
		if _, dup := byCode[strings.ToLower(w.Code)]; !dup {
			byCode[strings.ToLower(w.Code)] = w
		}
	}

	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	first := map[string]int{}
	var dups [][2]int
	for i, it := range items {
		if results[i].Err != nil {
			continue
		}
		if w, ok := byCode[strings.ToLower(it.Code)]; ok {
			results[i].Matched, results[i].PlatformID = true, w.ItemID
			results[i].UpdatedAt, _ = parseTime(w.UpdatedDateUTC)
			continue
		}
		code := strings.ToLower(it.Code)
		if j, ok := first[code]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		first[code] = i
		pending = append(pending, i)
		refs = append(refs, it.Ref)
		keys = append(keys, code)
		objs = append(objs, mustMarshal(wireItem{
			Code: it.Code, Name: truncate(it.Name, maxItemName), Description: truncate(it.Description, 4000),
			IsSold: true,
			SalesDetails: &wireSalesDetails{UnitPrice: major(it.UnitPrice, it.Currency),
				AccountCode: it.AccountCode, TaxType: it.TaxCode},
		}))
	}
	b := batch{kind: "items", path: "/Items", wrapper: "Items", query: pushQuery(true),
		keyOf: func(raw json.RawMessage) string {
			var w wireItem
			_ = json.Unmarshal(raw, &w)
			return strings.ToLower(w.Code)
		}}
	done, err := c.putChunks(ctx, b, refs, keys, objs, created(results, pending, itemLocator,
		func(w *wireItem) (string, string, []message) { return w.ItemID, w.UpdatedDateUTC, w.ValidationErrors }))
	if err != nil {
		failRest(results, pending, done, err)
	}
	copyDuplicates(results, dups)
	return results, err
}

// itemLocator points an item's tax and account errors at its sales details.
func itemLocator(code, _ string) string {
	switch code {
	case "tax_rate_not_found", "tax_rate_account_mismatch":
		return "SalesDetails.TaxType"
	case "ledger_account_not_found":
		return "SalesDetails.AccountCode"
	}
	return ""
}
