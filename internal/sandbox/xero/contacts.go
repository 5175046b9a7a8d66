package xero

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

// contactIn is a Contact as a request sends it; pointers tell "absent" from
// "empty" so a POST update changes only the fields it names.
type contactIn struct {
	ContactID                 string    `json:"ContactID"`
	ContactNumber             *string   `json:"ContactNumber"`
	AccountNumber             *string   `json:"AccountNumber"`
	ContactStatus             *string   `json:"ContactStatus"`
	Name                      *string   `json:"Name"`
	FirstName                 *string   `json:"FirstName"`
	LastName                  *string   `json:"LastName"`
	CompanyNumber             *string   `json:"CompanyNumber"`
	EmailAddress              *string   `json:"EmailAddress"`
	TaxNumber                 *string   `json:"TaxNumber"`
	AccountsReceivableTaxType *string   `json:"AccountsReceivableTaxType"`
	AccountsPayableTaxType    *string   `json:"AccountsPayableTaxType"`
	DefaultCurrency           *string   `json:"DefaultCurrency"`
	Addresses                 []Address `json:"Addresses"`
	Phones                    []Phone   `json:"Phones"`
}

const zeroID = "00000000-0000-0000-0000-000000000000"

func setStr(dst *string, src *string) {
	if src != nil {
		*dst = strings.TrimSpace(*src)
	}
}

func duplicateContactName(name string) string {
	return fmt.Sprintf("The contact name %s is already assigned to another contact. The contact name must be unique across all active contacts.", name)
}

// contactNameTaken reports whether an active contact other than self has name.
func contactNameTaken(o *org, name, self string) bool {
	for _, c := range o.contacts {
		if c.ContactID != self && c.ContactStatus == "ACTIVE" && strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(name)) {
			return true
		}
	}
	return false
}

// validateContact checks c (already merged with the request) as Xero does.
func validateContact(o *org, c *Contact) []ValidationError {
	var errs []ValidationError
	add := func(f string, a ...any) { errs = append(errs, ValidationError{Message: fmt.Sprintf(f, a...)}) }
	if c.Name == "" {
		add("The contact name must be specified.")
	}
	if len(c.Name) > 255 {
		add("The contact name must be 255 characters or less.")
	}
	if len(c.ContactNumber) > 50 {
		add("The contact number must be 50 characters or less.")
	}
	if len(c.AccountNumber) > 50 {
		add("The account number must be 50 characters or less.")
	}
	if e := c.EmailAddress; e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " ,;") || len(e) > 255) {
		add("Email address must be valid.")
	}
	if p := o.currencyProblem(c.DefaultCurrency); p != "" {
		add("%s", p)
	}
	for _, tt := range []string{c.AccountsReceivableTaxType, c.AccountsPayableTaxType} {
		if tt != "" && findTaxRate(o, tt) == nil {
			add("The TaxType code %s does not exist or cannot be used for this type of transaction.", tt)
		}
	}
	for _, a := range c.Addresses {
		if a.AddressType != "" && a.AddressType != "POBOX" && a.AddressType != "STREET" {
			add("AddressType %s is not valid.", a.AddressType)
		}
	}
	for _, p := range c.Phones {
		if p.PhoneType != "" && !slices.Contains([]string{"DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE"}, p.PhoneType) {
			add("PhoneType %s is not valid.", p.PhoneType)
		}
	}
	if c.ContactStatus != "ACTIVE" && c.ContactStatus != "ARCHIVED" {
		add("ContactStatus %s is not valid.", c.ContactStatus)
	}
	return errs
}

// writeContacts serves PUT /Contacts (create) and POST /Contacts[/{id}]
// (update by ContactID or ContactNumber, else create).
func (s *Sandbox) writeContacts(o *org, w http.ResponseWriter, r *http.Request, pathID string) {
	ins, err := decodeList[contactIn](r, "Contacts", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	update := r.Method == http.MethodPost
	now := s.now()
	batchNames := map[string]bool{}
	var elems []element
	for _, in := range ins {
		if pathID != "" {
			in.ContactID = pathID
		}
		var existing *Contact
		var errs []ValidationError
		if update && in.ContactID != "" {
			if existing = o.contacts[strings.ToLower(in.ContactID)]; existing == nil {
				errs = append(errs, ValidationError{Message: fmt.Sprintf("The contact with ContactID %s could not be found.", in.ContactID)})
			}
		} else if update && in.ContactNumber != nil && *in.ContactNumber != "" {
			existing = findContactBy(o, func(c *Contact) bool { return strings.EqualFold(c.ContactNumber, *in.ContactNumber) })
		}
		c := &Contact{ContactStatus: "ACTIVE", Addresses: []Address{}, Phones: []Phone{}}
		if existing != nil {
			*c = sandbox.Clone(existing)
		}
		setStr(&c.ContactNumber, in.ContactNumber)
		setStr(&c.AccountNumber, in.AccountNumber)
		setStr(&c.Name, in.Name)
		setStr(&c.FirstName, in.FirstName)
		setStr(&c.LastName, in.LastName)
		setStr(&c.CompanyNumber, in.CompanyNumber)
		setStr(&c.EmailAddress, in.EmailAddress)
		setStr(&c.TaxNumber, in.TaxNumber)
		setStr(&c.AccountsReceivableTaxType, in.AccountsReceivableTaxType)
		setStr(&c.AccountsPayableTaxType, in.AccountsPayableTaxType)
		setStr(&c.DefaultCurrency, in.DefaultCurrency)
		if in.ContactStatus != nil {
			c.ContactStatus = strings.ToUpper(*in.ContactStatus)
		}
		if in.Addresses != nil {
			c.Addresses = in.Addresses
		}
		if in.Phones != nil {
			c.Phones = in.Phones
		}
		errs = append(errs, validateContact(o, c)...)
		self := ""
		if existing != nil {
			self = existing.ContactID
		}
		key := strings.ToLower(c.Name)
		if c.Name != "" && c.ContactStatus == "ACTIVE" && (contactNameTaken(o, c.Name, self) || batchNames[key]) {
			errs = append(errs, ValidationError{Message: duplicateContactName(c.Name)})
		}
		batchNames[key] = true
		if len(errs) > 0 {
			if existing == nil {
				c.ContactID = zeroID
			}
			c.Name, c.ContactNumber, c.AccountNumber = truncate(c.Name, 255), truncate(c.ContactNumber, 50), truncate(c.AccountNumber, 50)
			c.UpdatedDateUTC = MSDate{now}
			c.HasValidationErrors, c.StatusAttributeString, c.ValidationErrors = true, "ERROR", errs
			elems = append(elems, element{out: c, errs: errs})
			continue
		}
		if existing == nil {
			c.ContactID = uuid.NewString()
		}
		c.UpdatedDateUTC = MSDate{now}
		elems = append(elems, element{out: c, commit: func() {
			stored := sandbox.Clone(c)
			if _, ok := o.seqs[stored.ContactID]; !ok {
				o.seqs[stored.ContactID] = s.nextSeq()
			}
			o.contacts[stored.ContactID] = &stored
			s.saveContact(o, &stored)
			c.StatusAttributeString = "OK"
		}})
	}
	s.finishBatch(w, r, "Contacts", elems)
}

func findContactBy(o *org, pred func(*Contact) bool) *Contact {
	for _, c := range sortedBySeq(o, o.contacts, func(c *Contact) string { return c.ContactID }) {
		if pred(c) {
			return c
		}
	}
	return nil
}

func (s *Sandbox) getContacts(o *org, w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	if id != "" {
		c := o.contacts[strings.ToLower(id)]
		if c == nil {
			c = findContactBy(o, func(c *Contact) bool { return c.ContactNumber != "" && strings.EqualFold(c.ContactNumber, id) })
		}
		if c == nil {
			notFound(w)
			return
		}
		s.writeList(w, "Contacts", []*Contact{c}, nil)
		return
	}
	conds, err := parseWhere(q.Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	ids := splitList(q["IDs"])
	since, hasSince := ifModifiedSince(r)
	archived := strings.EqualFold(q.Get("includeArchived"), "true")
	term := strings.ToLower(q.Get("searchTerm"))
	out := []*Contact{}
	for _, c := range sortedBySeq(o, o.contacts, func(c *Contact) string { return c.ContactID }) {
		if len(ids) > 0 && !containsFold(ids, c.ContactID) {
			continue
		}
		if c.ContactStatus == "ARCHIVED" && !archived && len(ids) == 0 {
			continue
		}
		if hasSince && c.UpdatedDateUTC.Before(since) {
			continue
		}
		if term != "" && !strings.Contains(strings.ToLower(strings.Join([]string{c.Name, c.FirstName, c.LastName, c.ContactNumber, c.CompanyNumber, c.EmailAddress}, "\x00")), term) {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Name":
				return c.Name, true
			case "ContactNumber":
				return c.ContactNumber, true
			case "AccountNumber":
				return c.AccountNumber, true
			case "EmailAddress":
				return c.EmailAddress, true
			case "ContactID":
				return c.ContactID, true
			case "ContactStatus":
				return c.ContactStatus, true
			case "FirstName":
				return c.FirstName, true
			case "LastName":
				return c.LastName, true
			case "IsCustomer":
				return strconv.FormatBool(c.IsCustomer), true
			case "IsSupplier":
				return strconv.FormatBool(c.IsSupplier), true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Contact) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	page, pagination, err := paginate(r, out)
	if err != nil {
		queryParseError(w, err)
		return
	}
	s.writeList(w, "Contacts", page, pagination)
}
