package quickbooks

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/booksync/booksync/internal/sandbox"
)

// taxServiceIn is the body of POST /taxservice/taxcode, QuickBooks' TaxService: a new tax code
// whose rates are existing ones (TaxRateId) or new ones (TaxRateName, RateValue, TaxAgencyId).
type taxServiceIn struct {
	TaxCode        string           `json:"TaxCode"`
	TaxCodeID      string           `json:"TaxCodeId,omitempty"`
	TaxRateDetails []taxRateDetails `json:"TaxRateDetails"`
}

// taxRateDetails is one rate of a TaxService request and answer.
type taxRateDetails struct {
	TaxRateName     string          `json:"TaxRateName,omitempty"`
	TaxRateID       string          `json:"TaxRateId,omitempty"`
	RateValue       *sandbox.Amount `json:"RateValue,omitempty"`
	TaxAgencyID     string          `json:"TaxAgencyId,omitempty"`
	TaxApplicableOn string          `json:"TaxApplicableOn,omitempty"`
}

// createTaxCode serves POST /taxservice/taxcode: it adds an active tax code with its rates, Sales
// ones to its SalesTaxRateList and Purchase ones to its PurchaseTaxRateList, and answers the
// request with TaxCodeId and each TaxRateId filled in, unwrapped as QuickBooks answers it.
// Companies with automated sales tax have no tax codes of their own and refuse it.
func (s *Sandbox) createTaxCode(c *company, body []byte) (any, *qbFault) {
	var in taxServiceIn
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, invalidProperty(err.Error())
	}
	if c.us() {
		return nil, businessError("This company uses automated sales tax; tax codes cannot be created.")
	}
	in.TaxCode = strings.TrimSpace(in.TaxCode)
	if in.TaxCode == "" {
		return nil, requiredMissing("TaxCode")
	}
	if len(in.TaxRateDetails) == 0 {
		return nil, requiredMissing("TaxRateDetails")
	}
	for _, tc := range c.meta.TaxCodes {
		if sameName(tc.Name, in.TaxCode) {
			return nil, validationFault("6240", "Duplicate Name Exists Error", "The name supplied already exists. : "+in.TaxCode, "TaxCode")
		}
	}
	meta := newMeta(s.now())
	code := &TaxCode{ID: nextListID(c.meta.TaxCodes, func(t *TaxCode) string { return t.ID }), SyncToken: "0", MetaData: meta,
		Name: in.TaxCode, Description: in.TaxCode, Active: true, TaxGroup: true,
		SalesTaxRateList: TaxRateList{TaxRateDetail: []TaxRateDetail{}}, PurchaseTaxRateList: TaxRateList{TaxRateDetail: []TaxRateDetail{}}}
	var added []*TaxRate
	for i := range in.TaxRateDetails {
		d := &in.TaxRateDetails[i]
		el := "TaxRateDetails[" + strconv.Itoa(i) + "]"
		switch d.TaxApplicableOn {
		case "":
			d.TaxApplicableOn = "Sales"
		case "Sales", "Purchase":
		default:
			return nil, invalidProperty(el + ".TaxApplicableOn must be Sales or Purchase")
		}
		var rate *TaxRate
		if d.TaxRateID != "" {
			if rate = c.taxRate(d.TaxRateID); rate == nil {
				return nil, invalidReference(el+".TaxRateId", "Invalid Reference Id : TaxRate "+d.TaxRateID+" not found")
			}
		} else {
			if strings.TrimSpace(d.TaxRateName) == "" {
				return nil, requiredMissing(el + ".TaxRateName")
			}
			if d.RateValue == nil || d.RateValue.IsNegative() {
				return nil, requiredMissing(el + ".RateValue")
			}
			if d.TaxAgencyID == "" {
				return nil, requiredMissing(el + ".TaxAgencyId")
			}
			rate = &TaxRate{ID: nextListID(append(c.meta.TaxRates, added...), func(t *TaxRate) string { return t.ID }), SyncToken: "0", MetaData: meta,
				Name: d.TaxRateName, Description: d.TaxRateName, Active: true, RateValue: *d.RateValue,
				AgencyRef: Ref{Value: d.TaxAgencyID}, SpecialTaxType: "NONE", DisplayType: "ReadOnly"}
			added = append(added, rate)
		}
		d.TaxRateID, d.TaxRateName, d.RateValue, d.TaxAgencyID = rate.ID, rate.Name, &rate.RateValue, rate.AgencyRef.Value
		detail := TaxRateDetail{TaxRateRef: Ref{Value: rate.ID, Name: rate.Name}, TaxTypeApplicable: "TaxOnAmount"}
		if d.TaxApplicableOn == "Sales" {
			code.SalesTaxRateList.TaxRateDetail = append(code.SalesTaxRateList.TaxRateDetail, detail)
			code.Taxable = code.Taxable || !rate.RateValue.IsZero()
		} else {
			code.PurchaseTaxRateList.TaxRateDetail = append(code.PurchaseTaxRateList.TaxRateDetail, detail)
		}
	}
	c.meta.TaxRates = append(c.meta.TaxRates, added...)
	c.meta.TaxCodes = append(c.meta.TaxCodes, code)
	s.saveMeta(c)
	in.TaxCodeID = code.ID
	return in, nil
}

// nextListID returns one more than the largest numeric Id of a list the company's meta holds.
func nextListID[T any](list []*T, id func(*T) string) string {
	top := 0
	for _, v := range list {
		if n, err := strconv.Atoi(id(v)); err == nil {
			top = max(top, n)
		}
	}
	return strconv.Itoa(top + 1)
}

// serveTaxService routes /taxservice/...; only POST /taxservice/taxcode exists.
func (s *Sandbox) serveTaxService(c *company, r *http.Request, segs []string, body []byte) (int, any) {
	if r.Method != http.MethodPost || !slices.Equal(segs, []string{"taxservice", "taxcode"}) {
		f := unsupported(r.Method + " /" + strings.Join(segs, "/"))
		return f.status, s.faultBody(f)
	}
	v, f := s.createTaxCode(c, body)
	if f != nil {
		return f.status, s.faultBody(f)
	}
	return http.StatusOK, v
}
