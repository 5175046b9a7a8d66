package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// QuickBooks' limits on customers (Customer in IntuitNamesTypes.xsd, and Intuit's entity pages).
const (
	maxDisplayName = 500
	maxPersonName  = 100
)

// PushContacts matches each contact to a QuickBooks customer by DisplayName (case-insensitively,
// as QuickBooks' uniqueness of names is) and creates the rest through the batch endpoint, 30 a
// request. QuickBooks customers have no contact number, so booksync's Ref is not stored there:
// the name is the natural key, and two counterparts with the same name share one customer.
//
// DisplayName is unique across customers, vendors and employees. When a create fails with
// Duplicate Name (6240) the name is looked up again, inactive customers included: an active
// customer (created meanwhile) is matched, an inactive one is made active again and matched, and
// otherwise a vendor or employee holds the name and the contact fails with contact_name_taken.
//
// When the returned error is non-nil, results is either nil (nothing was created) or has one
// result per contact: those created or matched before the failure, the others carrying the error.
func (c *Client) PushContacts(ctx context.Context, contacts []platform.Contact) ([]platform.Result, error) {
	results := make([]platform.Result, len(contacts))
	names := make([]string, len(contacts))
	for i, ct := range contacts {
		results[i].Ref = ct.Ref
		names[i] = displayName(ct)
		switch {
		case ct.Ref == "":
			results[i].Err = precheck("contact_number_missing", "Ref", "Contact reference missing: the counterpart has no id", "This is a booksync bug; report it.")
		case names[i] == "":
			results[i].Err = precheck("contact_name_missing", "DisplayName", "Contact name missing: QuickBooks requires a display name for every customer", "Give the counterpart a name (or first and last name) in booksync, then push again.")
		}
	}
	var lookup []string
	for i := range contacts {
		if results[i].Err == nil {
			lookup = append(lookup, names[i])
		}
	}
	found, err := c.findCustomers(ctx, lookup, false)
	if err != nil {
		return nil, err
	}

	var pending []int
	var refs []string
	var objs []json.RawMessage
	first := map[string]int{}
	var dups [][2]int
	for i, ct := range contacts {
		if results[i].Err != nil {
			continue
		}
		key := strings.ToLower(names[i])
		if w, ok := found[key]; ok {
			results[i].Matched, results[i].PlatformID, results[i].UpdatedAt = true, w.Id, updatedAt(w.MetaData)
			continue
		}
		if j, ok := first[key]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		first[key] = i
		pending = append(pending, i)
		refs = append(refs, ct.IdempotencyRef())
		objs = append(objs, mustMarshal(customerToWire(ct, names[i])))
	}
	done, err := c.createBatch(ctx, "customer", "Customer", refs, objs, created(results, pending,
		func(w *wireCustomer) (string, *wireMetaData) { return w.Id, w.MetaData }))
	if err != nil {
		failRest(results, pending, done, err)
		copyDuplicates(results, dups)
		return results, err
	}
	var taken []int
	for _, i := range pending {
		if codeOf(results[i].Err) == "contact_name_taken" {
			taken = append(taken, i)
		}
	}
	if len(taken) > 0 {
		if err := c.resolveTakenNames(ctx, results, taken, names); err != nil {
			failRest(results, taken, 0, err)
			copyDuplicates(results, dups)
			return results, err
		}
	}
	copyDuplicates(results, dups)
	return results, nil
}

// displayName is the contact's QuickBooks DisplayName: its name, or its first and last name,
// without the characters QuickBooks refuses, at most 500 characters.
func displayName(ct platform.Contact) string {
	n := clean(ct.Name, false)
	if n == "" {
		n = clean(strings.TrimSpace(ct.FirstName+" "+ct.LastName), false)
	}
	return truncate(n, maxDisplayName)
}

// customerToWire builds the customer to create; an organisation (no first or last name) gets its
// name as CompanyName too, which QuickBooks prints on invoices. It is created in the currency of
// the invoice it is pushed for: with multicurrency, a QuickBooks customer invoices in one
// currency only, and without, a foreign one is refused (currency_mismatch) as its invoice would be.
func customerToWire(ct platform.Contact, name string) wireCustomer {
	w := wireCustomer{DisplayName: name,
		GivenName: truncate(clean(ct.FirstName, false), maxPersonName), FamilyName: truncate(clean(ct.LastName, false), maxPersonName),
		PrimaryTaxIdentifier: truncate(ct.TaxNumber, 30), CurrencyRef: ref(ct.Currency)}
	if w.GivenName == "" && w.FamilyName == "" {
		w.CompanyName = truncate(name, maxPersonName)
	}
	if ct.Email != "" {
		w.PrimaryEmailAddr = &wireEmail{Address: truncate(ct.Email, 100)}
	}
	if a := ct.Address; a != nil {
		w.BillAddr = &wireAddress{Line1: truncate(a.Line1, 500), Line2: truncate(a.Line2, 500),
			City: truncate(a.City, 255), CountrySubDivisionCode: truncate(a.Region, 255),
			PostalCode: truncate(a.PostalCode, 30), Country: truncate(a.Country, 255)}
	}
	return w
}

// findCustomers looks customers up by DisplayName and returns them by lower-cased name; active
// only unless inactive is set, in which case an active customer wins over an inactive one.
func (c *Client) findCustomers(ctx context.Context, names []string, inactive bool) (map[string]wireCustomer, error) {
	var quoted []string
	seen := map[string]bool{}
	for _, n := range names {
		if q, ok := quote(n); ok && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			quoted = append(quoted, q)
		}
	}
	out := map[string]wireCustomer{}
	for _, list := range inChunks(quoted, lookupValues, lookupLength) {
		where := "DisplayName in " + list
		if inactive {
			where = "Active in (true, false) and " + where
		}
		rows, err := queryAll[wireCustomer](ctx, c, "Customer", where)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			k := strings.ToLower(w.DisplayName)
			if prev, ok := out[k]; !ok || (!active(prev.Active) && active(w.Active)) {
				out[k] = w
			}
		}
	}
	return out, nil
}

// resolveTakenNames looks again at the names QuickBooks said were taken (indexes into results
// and names): a customer with the name is matched, after making it active again if it was not.
func (c *Client) resolveTakenNames(ctx context.Context, results []platform.Result, taken []int, names []string) error {
	var lookup []string
	for _, i := range taken {
		lookup = append(lookup, names[i])
	}
	found, err := c.findCustomers(ctx, lookup, true)
	if err != nil {
		return err
	}
	for _, i := range taken {
		w, ok := found[strings.ToLower(names[i])]
		if !ok {
			// A vendor or employee holds the name: the cause's fix says so.
			continue
		}
		if !active(w.Active) {
			if w, err = c.reactivateCustomer(ctx, w); err != nil {
				if platform.ClassOf(err) != platform.NeedsUserAction {
					return err
				}
				results[i].Err = err
				continue
			}
		}
		results[i] = platform.Result{Ref: results[i].Ref, PlatformID: w.Id, Matched: true, UpdatedAt: updatedAt(w.MetaData)}
	}
	return nil
}

// reactivateCustomer makes an inactive customer active again with a sparse update.
func (c *Client) reactivateCustomer(ctx context.Context, w wireCustomer) (wireCustomer, error) {
	yes := true
	var env struct {
		Customer wireCustomer `json:"Customer"`
	}
	err := c.update(ctx, "customer", "Customer", w.Id, w.SyncToken, func(syncToken string) any {
		return wireCustomer{Id: w.Id, SyncToken: syncToken, Sparse: true, Active: &yes}
	}, &env)
	if err != nil {
		return wireCustomer{}, err
	}
	return env.Customer, nil
}

// update posts an update of one entity built by build from its SyncToken. When QuickBooks
// answers Stale Object (5010), someone changed the entity since it was read: update reads it
// again for its current SyncToken and tries once more. out receives the answer.
func (c *Client) update(ctx context.Context, kind, entity, id, syncToken string, build func(syncToken string) any, out any) error {
	path := "/" + strings.ToLower(entity)
	for attempt := 0; ; attempt++ {
		body := mustMarshal(build(syncToken))
		err := c.do(ctx, request{method: http.MethodPost, path: path, body: body,
			requestID: requestID(kind+"-update", []string{id}, body)}, kind, out)
		if err == nil || codeOf(err) != "stale_object" || attempt > 0 {
			return err
		}
		var env map[string]json.RawMessage
		if err := c.do(ctx, request{method: http.MethodGet, path: path + "/" + url.PathEscape(id)}, kind, &env); err != nil {
			return err
		}
		var cur struct {
			SyncToken string `json:"SyncToken"`
		}
		if err := json.Unmarshal(env[entity], &cur); err != nil || cur.SyncToken == "" {
			return unexpected(fmt.Errorf("reading %s %s for its SyncToken: %v", entity, id, err), false)
		}
		syncToken = cur.SyncToken
	}
}
