package xero

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// Look-ups use where filters of OR-ed equality terms rather than paging through every contact:
// a batch costs about one call per 25 objects whatever the size of the organisation, while paging
// costs one call per 100 contacts of the organisation on every push.
const (
	lookupTerms  = 50   // terms per filter (25 objects by number and name)
	lookupLength = 3000 // characters per filter, before URL encoding
	pageSize     = 100  // what Xero returns per page of contacts and invoices
)

// PushContacts matches each contact by number (Ref, exactly) and then by name (case-insensitive,
// as Xero's uniqueness of names is), and creates the rest in requests of 50.
//
// When the returned error is non-nil, results is either nil (nothing was created) or has one
// result per contact: those created or matched before the failure, the others carrying the error.
func (c *Client) PushContacts(ctx context.Context, contacts []platform.Contact) ([]platform.Result, error) {
	results := make([]platform.Result, len(contacts))
	for i, ct := range contacts {
		results[i].Ref = ct.Ref
		switch {
		case ct.Ref == "":
			results[i].Err = precheck("contact_number_missing", "ContactNumber", "Contact number missing: the counterpart has no id", "This is a booksync bug; report it.")
		case len([]rune(ct.Ref)) > 50:
			results[i].Err = precheck("contact_number_too_long", "ContactNumber", "Contact number too long for Xero (at most 50 characters)", "This is a booksync bug: counterpart ids must fit Xero's contact number; report it.")
		case strings.TrimSpace(ct.Name) == "":
			results[i].Err = precheck("contact_name_missing", "Name", "Contact name missing: Xero requires a name for every contact", "Give the counterpart a name (or first and last name) in booksync, then push again.")
		}
	}
	var terms []string
	for i, ct := range contacts {
		if results[i].Err != nil {
			continue
		}
		if v, ok := whereValue(ct.Ref); ok {
			terms = append(terms, "ContactNumber=="+v)
		}
		if v, ok := whereValue(truncate(ct.Name, 255)); ok {
			terms = append(terms, "Name=="+v)
		}
	}
	found, err := c.findContacts(ctx, terms)
	if err != nil {
		return nil, err
	}
	byNumber := map[string]wireContact{}
	byName := map[string]wireContact{}
	for _, w := range found {
		if w.ContactStatus != "" && w.ContactStatus != "ACTIVE" {
			continue
		}
		if w.ContactNumber != "" {
			if _, dup := byNumber[w.ContactNumber]; !dup {
				byNumber[w.ContactNumber] = w
			}
		}
		if _, dup := byName[strings.ToLower(w.Name)]; !dup {
			byName[strings.ToLower(w.Name)] = w
		}
	}

	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	first := map[string]int{}
	var dups [][2]int
	for i, ct := range contacts {
		if results[i].Err != nil {
			continue
		}
		w, ok := byNumber[ct.Ref]
		if !ok {
			w, ok = byName[strings.ToLower(truncate(ct.Name, 255))]
		}
		if ok {
			results[i].Matched, results[i].PlatformID = true, w.ContactID
			results[i].UpdatedAt, _ = parseTime(w.UpdatedDateUTC)
			continue
		}
		if j, ok := first[ct.Ref]; ok {
			dups = append(dups, [2]int{i, j})
			continue
		}
		first[ct.Ref] = i
		pending = append(pending, i)
		refs = append(refs, ct.IdempotencyRef())
		keys = append(keys, ct.Ref)
		objs = append(objs, mustMarshal(contactToWire(ct)))
	}
	b := batch{kind: "contacts", path: "/Contacts", wrapper: "Contacts", query: pushQuery(false),
		keyOf: func(raw json.RawMessage) string {
			var w wireContact
			_ = json.Unmarshal(raw, &w)
			return w.ContactNumber
		}}
	done, err := c.putChunks(ctx, b, refs, keys, objs, created(results, pending, nil,
		func(w *wireContact) (string, string, []message) {
			return w.ContactID, w.UpdatedDateUTC, w.ValidationErrors
		}))
	if err != nil {
		failRest(results, pending, done, err)
	}
	copyDuplicates(results, dups)
	return results, err
}

// contactToWire builds the contact to create. The address is the POBOX one, which Xero prints on
// invoices as the billing address.
func contactToWire(ct platform.Contact) wireContact {
	w := wireContact{
		ContactNumber: ct.Ref, Name: truncate(ct.Name, 255),
		FirstName: truncate(ct.FirstName, 255), LastName: truncate(ct.LastName, 255),
		EmailAddress: truncate(ct.Email, 255), TaxNumber: truncate(ct.TaxNumber, 50),
	}
	if a := ct.Address; a != nil {
		w.Addresses = []wireAddress{{AddressType: "POBOX",
			AddressLine1: truncate(a.Line1, 500), AddressLine2: truncate(a.Line2, 500),
			City: truncate(a.City, 255), Region: truncate(a.Region, 255),
			PostalCode: truncate(a.PostalCode, 50), Country: truncate(a.Country, 50)}}
	}
	return w
}

// findContacts returns the active contacts matching any of the where terms.
func (c *Client) findContacts(ctx context.Context, terms []string) ([]wireContact, error) {
	var out []wireContact
	for _, where := range filterChunks(terms, lookupTerms, lookupLength) {
		for page := 1; ; page++ {
			var env struct {
				Contacts []wireContact `json:"Contacts"`
			}
			q := url.Values{"where": {where}, "page": {strconv.Itoa(page)}}
			if err := c.get(ctx, "/Contacts", q, nil, &env); err != nil {
				return nil, err
			}
			out = append(out, env.Contacts...)
			if len(env.Contacts) < pageSize {
				break
			}
		}
	}
	return out, nil
}
