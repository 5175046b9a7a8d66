package xero

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

func (s *Sandbox) getAccounts(o *org, w http.ResponseWriter, r *http.Request, id string) {
	conds, err := parseWhere(r.URL.Query().Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	since, hasSince := ifModifiedSince(r)
	out := []*Account{}
	for _, a := range o.meta.Accounts {
		if id != "" && !strings.EqualFold(a.AccountID, id) {
			continue
		}
		if hasSince && a.UpdatedDateUTC != nil && a.UpdatedDateUTC.Before(since) {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Code":
				return a.Code, true
			case "Name":
				return a.Name, true
			case "Type":
				return a.Type, true
			case "Class":
				return a.Class, true
			case "Status":
				return a.Status, true
			case "TaxType":
				return a.TaxType, true
			case "SystemAccount":
				return a.SystemAccount, true
			case "AccountID":
				return a.AccountID, true
			case "EnablePaymentsToAccount":
				return strconv.FormatBool(a.EnablePaymentsToAccount), true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, a)
		}
	}
	if id != "" && len(out) == 0 {
		notFound(w)
		return
	}
	s.writeList(w, "Accounts", out, nil)
}

func findAccount(o *org, code, id string) *Account {
	for _, a := range o.meta.Accounts {
		if (id != "" && strings.EqualFold(a.AccountID, id)) || (id == "" && code != "" && strings.EqualFold(a.Code, code)) {
			return a
		}
	}
	return nil
}

func findTaxRate(o *org, taxType string) *TaxRate {
	for _, t := range o.meta.TaxRates {
		if strings.EqualFold(t.TaxType, taxType) {
			return t
		}
	}
	return nil
}

func (s *Sandbox) getTaxRates(o *org, w http.ResponseWriter, r *http.Request, _ string) {
	conds, err := parseWhere(r.URL.Query().Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	out := []*TaxRate{}
	for _, t := range o.meta.TaxRates {
		if t.Status == "DELETED" {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "TaxType":
				return t.TaxType, true
			case "Name":
				return t.Name, true
			case "Status":
				return t.Status, true
			case "ReportTaxType":
				return t.ReportTaxType, true
			case "EffectiveRate", "DisplayTaxRate":
				return t.EffectiveRate.String(), true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, t)
		}
	}
	s.writeList(w, "TaxRates", out, nil)
}

// taxRateIn is a TaxRate as a request sends it.
type taxRateIn struct {
	Name          string `json:"Name"`
	TaxType       string `json:"TaxType"`
	Status        string `json:"Status"`
	ReportTaxType string `json:"ReportTaxType"`
	TaxComponents []struct {
		Name             string `json:"Name"`
		Rate             num    `json:"Rate"`
		IsCompound       bool   `json:"IsCompound"`
		IsNonRecoverable bool   `json:"IsNonRecoverable"`
	} `json:"TaxComponents"`
}

func (in taxRateIn) components() ([]TaxComponent, []ValidationError) {
	var comps []TaxComponent
	var errs []ValidationError
	for _, c := range in.TaxComponents {
		if c.Rate.bad || !c.Rate.set {
			errs = append(errs, ValidationError{Message: "Tax component rate must be a number."})
			continue
		}
		comps = append(comps, TaxComponent{Name: c.Name, Rate: sandbox.AmountOf(c.Rate.d.Round(4)), IsCompound: c.IsCompound, IsNonRecoverable: c.IsNonRecoverable})
	}
	return comps, errs
}

// validateNewTaxRate checks a custom rate; exclude is the rate being updated.
func validateNewTaxRate(o *org, name string, comps []TaxComponent, exclude *TaxRate) []ValidationError {
	var errs []ValidationError
	name = strings.TrimSpace(name)
	if name == "" {
		errs = append(errs, ValidationError{Message: "Name is required."})
	}
	for _, t := range o.meta.TaxRates {
		if t != exclude && t.Status != "DELETED" && strings.EqualFold(t.Name, name) && name != "" {
			errs = append(errs, ValidationError{Message: fmt.Sprintf("The tax rate name %s is already in use. Tax rate names must be unique.", name)})
		}
	}
	if len(comps) == 0 {
		errs = append(errs, ValidationError{Message: "At least one tax component is required."})
	}
	for _, c := range comps {
		if c.Rate.IsNegative() || c.Rate.GreaterThan(decimal.NewFromInt(100)) {
			errs = append(errs, ValidationError{Message: "Tax component rate must be between 0 and 100."})
		}
	}
	return errs
}

// addTaxRate creates a custom rate; callers hold s.mu and have validated it.
func (s *Sandbox) addTaxRate(o *org, name string, comps []TaxComponent) *TaxRate {
	total := decimal.Zero
	for _, c := range comps {
		total = total.Add(c.Rate.Decimal)
	}
	tr := newTaxRate(strings.TrimSpace(name), fmt.Sprintf("TAX%03d", o.meta.NextTaxNumber), "OUTPUT", sandbox.AmountOf(total))
	tr.TaxComponents = comps
	o.meta.NextTaxNumber++
	o.meta.TaxRates = append(o.meta.TaxRates, tr)
	s.saveOrgMeta(o)
	return tr
}

func (s *Sandbox) putTaxRates(o *org, w http.ResponseWriter, r *http.Request, _ string) {
	s.writeTaxRates(o, w, r, false)
}

func (s *Sandbox) postTaxRates(o *org, w http.ResponseWriter, r *http.Request, _ string) {
	s.writeTaxRates(o, w, r, true)
}

// writeTaxRates creates (PUT) or updates-or-creates (POST, matched by
// TaxType or Name) tax rates. Seeded system rates can only change Status.
func (s *Sandbox) writeTaxRates(o *org, w http.ResponseWriter, r *http.Request, update bool) {
	ins, err := decodeList[taxRateIn](r, "TaxRates", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	var elems []element
	seen := map[string]bool{}
	for _, in := range ins {
		comps, errs := in.components()
		var existing *TaxRate
		if update {
			if in.TaxType != "" {
				existing = findTaxRate(o, in.TaxType)
			}
			if existing == nil {
				for _, t := range o.meta.TaxRates {
					if strings.EqualFold(t.Name, in.Name) && t.Status != "DELETED" {
						existing = t
					}
				}
			}
		}
		key := strings.ToLower(strings.TrimSpace(in.Name))
		if existing == nil {
			errs = append(errs, validateNewTaxRate(o, in.Name, comps, nil)...)
			if seen[key] {
				errs = append(errs, ValidationError{Message: fmt.Sprintf("The tax rate name %s is already in use. Tax rate names must be unique.", in.Name)})
			}
		} else if len(in.TaxComponents) > 0 {
			if !strings.HasPrefix(existing.TaxType, "TAX") {
				errs = append(errs, ValidationError{Message: "System tax rates cannot be edited."})
			}
			errs = append(errs, validateNewTaxRate(o, in.Name, comps, existing)...)
		}
		status := strings.ToUpper(in.Status)
		if status != "" && status != "ACTIVE" && status != "ARCHIVED" && status != "DELETED" {
			errs = append(errs, ValidationError{Message: fmt.Sprintf("Status %s is not valid for a tax rate.", in.Status)})
		}
		seen[key] = true
		in, existing := in, existing
		out := &TaxRate{Name: in.Name, TaxType: in.TaxType, Status: status, TaxComponents: comps}
		if len(errs) > 0 {
			out.StatusAttributeString, out.ValidationErrors = "ERROR", errs
			elems = append(elems, element{out: out, errs: errs})
			continue
		}
		e := element{errs: nil}
		e.commit = func() {
			tr := existing
			if tr == nil {
				tr = s.addTaxRate(o, in.Name, comps)
			} else if len(comps) > 0 {
				tr.TaxComponents = comps
				total := decimal.Zero
				for _, c := range comps {
					total = total.Add(c.Rate.Decimal)
				}
				tr.DisplayTaxRate, tr.EffectiveRate = sandbox.AmountOf(total), sandbox.AmountOf(total)
				if in.Name != "" {
					tr.Name = strings.TrimSpace(in.Name)
				}
			}
			if status != "" {
				tr.Status = status
			}
			s.saveOrgMeta(o)
			*out = *tr
		}
		e.out = out
		elems = append(elems, e)
	}
	s.finishBatch(w, r, "TaxRates", elems)
}
