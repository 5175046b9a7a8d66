package xero

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

type itemDetailsIn struct {
	UnitPrice   num    `json:"UnitPrice"`
	AccountCode string `json:"AccountCode"`
	TaxType     string `json:"TaxType"`
}

// itemIn is an Item as a request sends it.
type itemIn struct {
	ItemID               string         `json:"ItemID"`
	Code                 *string        `json:"Code"`
	Name                 *string        `json:"Name"`
	Description          *string        `json:"Description"`
	PurchaseDescription  *string        `json:"PurchaseDescription"`
	IsSold               *bool          `json:"IsSold"`
	IsPurchased          *bool          `json:"IsPurchased"`
	IsTrackedAsInventory *bool          `json:"IsTrackedAsInventory"`
	SalesDetails         *itemDetailsIn `json:"SalesDetails"`
	PurchaseDetails      *itemDetailsIn `json:"PurchaseDetails"`
}

func findItem(o *org, code string) *Item {
	for _, it := range o.items {
		if strings.EqualFold(it.Code, code) {
			return it
		}
	}
	return nil
}

// details validates and converts sales or purchase defaults.
func (in *itemDetailsIn) details(o *org, sales bool, unitdp int32) (*ItemDetails, []ValidationError) {
	if in == nil {
		return nil, nil
	}
	var errs []ValidationError
	d := &ItemDetails{AccountCode: in.AccountCode, TaxType: in.TaxType}
	if in.UnitPrice.bad {
		errs = append(errs, ValidationError{Message: fmt.Sprintf("UnitPrice %q must be a number.", in.UnitPrice.raw)})
	} else if in.UnitPrice.set {
		d.UnitPrice = &sandbox.Amount{Decimal: in.UnitPrice.d.Round(unitdp)}
	}
	if in.AccountCode != "" {
		if a := findAccount(o, in.AccountCode, ""); a == nil || a.Status != "ACTIVE" {
			errs = append(errs, ValidationError{Message: fmt.Sprintf("Account code '%s' is not a valid code.", in.AccountCode)})
		}
	}
	if in.TaxType != "" {
		t := findTaxRate(o, in.TaxType)
		if t == nil || t.Status != "ACTIVE" || (sales && !t.CanApplyToRevenue) || (!sales && !t.CanApplyToExpenses) {
			errs = append(errs, ValidationError{Message: fmt.Sprintf("The TaxType code '%s' does not exist or cannot be used for this type of transaction.", in.TaxType)})
		}
	}
	return d, errs
}

func unitDP(r *http.Request) int32 {
	if r.URL.Query().Get("unitdp") == "4" {
		return 4
	}
	return 2
}

// writeItems serves PUT /Items (create) and POST /Items (update by ItemID
// or Code, else create).
func (s *Sandbox) writeItems(o *org, w http.ResponseWriter, r *http.Request, _ string) {
	ins, err := decodeList[itemIn](r, "Items", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	update := r.Method == http.MethodPost
	dp := unitDP(r)
	now := s.now()
	batchCodes := map[string]bool{}
	var elems []element
	for _, in := range ins {
		var errs []ValidationError
		var existing *Item
		if update && in.ItemID != "" {
			if existing = o.items[strings.ToLower(in.ItemID)]; existing == nil {
				errs = append(errs, ValidationError{Message: fmt.Sprintf("The item with ItemID %s could not be found.", in.ItemID)})
			}
		} else if update && in.Code != nil {
			existing = findItem(o, strings.TrimSpace(*in.Code))
		}
		it := &Item{}
		if existing != nil {
			*it = sandbox.Clone(existing)
		}
		setStr(&it.Code, in.Code)
		setStr(&it.Name, in.Name)
		setStr(&it.Description, in.Description)
		setStr(&it.PurchaseDescription, in.PurchaseDescription)
		if in.SalesDetails != nil {
			d, e := in.SalesDetails.details(o, true, dp)
			it.SalesDetails, errs = d, append(errs, e...)
		}
		if in.PurchaseDetails != nil {
			d, e := in.PurchaseDetails.details(o, false, dp)
			it.PurchaseDetails, errs = d, append(errs, e...)
		}
		// Xero marks an item sold or purchased when it has those details.
		it.IsSold = it.SalesDetails != nil
		it.IsPurchased = it.PurchaseDetails != nil
		if in.IsSold != nil {
			it.IsSold = *in.IsSold
		}
		if in.IsPurchased != nil {
			it.IsPurchased = *in.IsPurchased
		}
		if in.IsTrackedAsInventory != nil && *in.IsTrackedAsInventory {
			errs = append(errs, ValidationError{Message: "The booksync Xero sandbox does not support tracked inventory items."})
		}
		switch {
		case it.Code == "":
			errs = append(errs, ValidationError{Message: "Item code must be specified."})
		case len(it.Code) > 30:
			errs = append(errs, ValidationError{Message: "Item code must be 30 characters or less."})
		}
		if utf8.RuneCountInString(it.Name) > 50 { // Xero counts characters, not bytes
			errs = append(errs, ValidationError{Message: "Item name must be 50 characters or less."})
		}
		if len(it.Description) > 4000 || len(it.PurchaseDescription) > 4000 {
			errs = append(errs, ValidationError{Message: "Item description must be 4000 characters or less."})
		}
		key := strings.ToLower(it.Code)
		if it.Code != "" {
			if other := findItem(o, it.Code); (other != nil && other != existing) || batchCodes[key] {
				errs = append(errs, ValidationError{Message: fmt.Sprintf("Item code '%s' already exists.", it.Code)})
			}
		}
		batchCodes[key] = true
		if len(errs) > 0 {
			if existing == nil {
				it.ItemID = zeroID
			}
			// The echo keeps within the spec's maxLength, which clients may validate.
			it.Code, it.Name = truncate(it.Code, 30), truncate(it.Name, 50)
			it.UpdatedDateUTC = MSDate{now}
			it.StatusAttributeString, it.ValidationErrors = "ERROR", errs
			elems = append(elems, element{out: it, errs: errs})
			continue
		}
		if existing == nil {
			it.ItemID = uuid.NewString()
		}
		it.UpdatedDateUTC = MSDate{now}
		elems = append(elems, element{out: it, commit: func() {
			stored := sandbox.Clone(it)
			if _, ok := o.seqs[stored.ItemID]; !ok {
				o.seqs[stored.ItemID] = s.nextSeq()
			}
			o.items[stored.ItemID] = &stored
			s.saveItem(o, &stored)
			it.StatusAttributeString = "OK"
		}})
	}
	s.finishBatch(w, r, "Items", elems)
}

func (s *Sandbox) getItems(o *org, w http.ResponseWriter, r *http.Request, id string) {
	if id != "" {
		it := o.items[strings.ToLower(id)]
		if it == nil {
			it = findItem(o, id)
		}
		if it == nil {
			notFound(w)
			return
		}
		s.writeList(w, "Items", []*Item{it}, nil)
		return
	}
	conds, err := parseWhere(r.URL.Query().Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	since, hasSince := ifModifiedSince(r)
	out := []*Item{}
	for _, it := range o.items {
		if hasSince && it.UpdatedDateUTC.Before(since) {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Code":
				return it.Code, true
			case "Name":
				return it.Name, true
			case "ItemID":
				return it.ItemID, true
			case "IsSold":
				return strconv.FormatBool(it.IsSold), true
			case "IsPurchased":
				return strconv.FormatBool(it.IsPurchased), true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b *Item) int { return strings.Compare(strings.ToLower(a.Code), strings.ToLower(b.Code)) })
	s.writeList(w, "Items", out, nil)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
