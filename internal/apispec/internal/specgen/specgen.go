// Package specgen cuts booksync's OpenAPI document out of Monite's.
//
// It lives apart from the generator's main package so that apispec's tests
// can run the very same code and compare its output with the committed
// files, which is what stops anyone from editing openapi.json by hand.
package specgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"slices"
	"sort"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/vatrates"
)

// APIVersion is the Monite API version booksync is compatible with.
const APIVersion = booksync.APIVersion

// Op names one operation to copy from Monite's document.
type Op struct {
	Method string // upper case, as in HTTP
	Path   string
}

// Ops lists the operations booksync serves. Adding one here (and
// re-running go generate) is all it takes to publish it.
var Ops = []Op{
	{"POST", "/auth/token"},
	{"POST", "/auth/revoke"},

	{"POST", "/entities"},
	{"GET", "/entities"},
	{"GET", "/entities/{entity_id}"},
	{"PATCH", "/entities/{entity_id}"},
	{"GET", "/entities/{entity_id}/settings"},
	{"PATCH", "/entities/{entity_id}/settings"},
	{"GET", "/entities/{entity_id}/vat_ids"},
	{"POST", "/entities/{entity_id}/vat_ids"},
	{"GET", "/entities/{entity_id}/vat_ids/{id}"},
	{"PATCH", "/entities/{entity_id}/vat_ids/{id}"},
	{"DELETE", "/entities/{entity_id}/vat_ids/{id}"},

	{"POST", "/counterparts"},
	{"GET", "/counterparts"},
	{"GET", "/counterparts/{counterpart_id}"},
	{"PATCH", "/counterparts/{counterpart_id}"},
	{"DELETE", "/counterparts/{counterpart_id}"},
	{"GET", "/counterparts/{counterpart_id}/addresses"},
	{"POST", "/counterparts/{counterpart_id}/addresses"},
	{"GET", "/counterparts/{counterpart_id}/vat_ids"},
	{"POST", "/counterparts/{counterpart_id}/vat_ids"},
	{"GET", "/counterparts/{counterpart_id}/vat_ids/{vat_id}"},
	{"PATCH", "/counterparts/{counterpart_id}/vat_ids/{vat_id}"},
	{"DELETE", "/counterparts/{counterpart_id}/vat_ids/{vat_id}"},
	{"GET", "/vat_rates"},

	{"POST", "/products"},
	{"GET", "/products"},
	{"GET", "/products/{product_id}"},
	{"PATCH", "/products/{product_id}"},
	{"DELETE", "/products/{product_id}"},

	{"POST", "/receivables"},
	{"GET", "/receivables"},
	{"GET", "/receivables/{receivable_id}"},
	{"PATCH", "/receivables/{receivable_id}"},
	{"DELETE", "/receivables/{receivable_id}"},
	{"PUT", "/receivables/{receivable_id}/line_items"},
	{"POST", "/receivables/{receivable_id}/issue"},
	{"POST", "/receivables/{receivable_id}/cancel"},
	{"POST", "/receivables/{receivable_id}/mark_as_paid"},
	{"POST", "/receivables/{receivable_id}/mark_as_partially_paid"},
	{"POST", "/receivables/{receivable_id}/mark_as_uncollectible"},

	{"POST", "/payment_records"},
	{"GET", "/payment_records"},
	{"GET", "/payment_records/{payment_record_id}"},
	{"POST", "/payment_records/{payment_record_id}/cancel"},

	{"GET", "/accounting_connections"},
	{"POST", "/accounting_connections"},
	{"GET", "/accounting_connections/{connection_id}"},
	{"POST", "/accounting_connections/{connection_id}/disconnect"},
	{"POST", "/accounting_connections/{connection_id}/sync"},

	{"GET", "/accounting_synced_records"},
	{"GET", "/accounting_synced_records/{synced_record_id}"},
	{"POST", "/accounting_synced_records/{synced_record_id}/push"},

	{"GET", "/accounting_tax_rates"},
	{"GET", "/accounting_tax_rates/{tax_rate_id}"},
	{"GET", "/ledger_accounts"},
	{"GET", "/ledger_accounts/{ledger_account_id}"},

	{"GET", "/accounting/receivables"},
	{"GET", "/accounting/receivables/{invoice_id}"},
	{"GET", "/accounting/payables"},
	{"GET", "/accounting/payables/{payable_id}"},

	{"POST", "/webhook_subscriptions"},
	{"GET", "/webhook_subscriptions"},
	{"GET", "/webhook_subscriptions/{webhook_subscription_id}"},
	{"PATCH", "/webhook_subscriptions/{webhook_subscription_id}"},
	{"DELETE", "/webhook_subscriptions/{webhook_subscription_id}"},
	{"POST", "/webhook_subscriptions/{webhook_subscription_id}/enable"},
	{"POST", "/webhook_subscriptions/{webhook_subscription_id}/disable"},
	{"POST", "/webhook_subscriptions/{webhook_subscription_id}/regenerate_secret"},
	{"GET", "/events"},
	{"GET", "/events/{event_id}"},
	{"GET", "/webhook_deliveries"},
}

// bodyAdditions gives a request body to operations where booksync takes one that Monite's current
// document does not declare, keyed by operationId.
var bodyAdditions = map[string]struct {
	schema map[string]any
	note   string
}{
	"post_accounting_connections": {
		schema: map[string]any{
			"type": "object", "title": "AccountingConnectionRequest", "additionalProperties": false,
			"properties": map[string]any{
				"platform": map[string]any{
					"type":        "string",
					"enum":        []any{"xero", "quickbooks", "quickbooks_online", "quickbooks_online_sandbox", "gnucash"},
					"description": "The accounting system to connect. Defaults to xero.",
				},
			},
		},
		note: "booksync: the optional body `{\"platform\": ...}` chooses the accounting system, as Monite's API did until late 2024 (`AccountingConnectionRequest`); without a body the connection is to Xero. Connections without real platform credentials use booksync's built-in sandbox.",
	},
}

// bodyOverrides narrows request bodies that Monite declares as unions of
// document kinds booksync does not serve (quotes), keyed by operationId. The value lists the component schemas that remain (more than one
// makes an anyOf).
var bodyOverrides = map[string]struct {
	schemas []string
	note    string
}{
	"post_receivables": {
		schemas: []string{"ReceivableFacadeCreateInvoicePayload", "ReceivableCreateBasedOnPayload"},
		note: "booksync: only invoices and credit notes can be created, so the request body is `ReceivableFacadeCreateInvoicePayload` or `ReceivableCreateBasedOnPayload` with type `credit_note`; Monite also accepts quote payloads here. " +
			"A credit note is based on an issued or partially paid invoice of the entity (another entity's invoice is a 404; a draft, paid or canceled one a 409) and starts as a draft with a copy of the invoice's customer, currency, lines and discount.",
	},
	"patch_receivables_id": {
		schemas: []string{"UpdateInvoicePayload", "UpdateIssuedInvoicePayload", "UpdateCreditNotePayload"},
		note: "booksync: only invoices and credit notes can be updated, so the request body is `UpdateInvoicePayload`, `UpdateIssuedInvoicePayload` or `UpdateCreditNotePayload`; Monite also accepts quote payloads here. " +
			"A draft invoice takes `{\"invoice\": {...}}`; an issued or partially paid invoice takes `{\"issued_invoice\": {...}}` with the fields that do not change its amounts or customer; a draft credit note takes `{\"credit_note\": {...}}`; " +
			"any other combination, and any update of a paid or canceled invoice or of an issued credit note, is a 409 that changes nothing.",
	},
}

// opNotes say how booksync carries out an operation where Monite's document leaves it open,
// keyed by operationId.
var opNotes = map[string]string{
	"post_receivables_id_mark_as_paid": "booksync: the invoice (issued, partially paid or uncollectible; else a 409) is paid by a succeeded payment record of its whole amount_due, " +
		"recorded as POST /payment_records records one and pushed to the entity's books like it, so that amount_paid is always the sum of the invoice's succeeded payments. comment is kept on the invoice.",
	"post_receivables_id_mark_as_partially_paid": "booksync: amount_paid is how much has been paid in total; the difference from what the invoice has paid already is recorded as a succeeded payment record, as POST /payment_records records one, and pushed to the entity's books like it. " +
		"amount_paid must be more than has been paid already and less than would pay the invoice off (that is mark_as_paid), else a 422 naming both amounts; a draft, paid or canceled invoice is a 409. comment is kept on the invoice.",
	"post_receivables_id_mark_as_uncollectible": "booksync: an issued or partially paid invoice becomes uncollectible (else a 409); only its status changes. The invoice stays open in the entity's books, because writing off a bad debt is the accountant's call. " +
		"It can still be paid, with POST /payment_records or mark_as_paid.",
	"post_payment_records_id_cancel": "booksync: the payment record becomes canceled (a history entry says when) and, if it had succeeded, its invoice's amount_paid falls and amount_due rises by its amount: a paid or partially paid invoice becomes partially_paid or issued. " +
		"A payment pushed to the entity's books is removed from them by the next push. A payment canceled already is a 409.",
	"post_receivables_id_issue": "booksync: a credit note is numbered apart from invoices (CN-00001, ..., with the prefix of the entity's settings document_ids.document_type_prefix.credit_note if set). " +
		"Issuing it lowers its invoice's amount_due, amount_to_pay and total_amount_with_credit_notes by its total and lists it in the invoice's related_documents.credit_note_ids; an invoice credited down to nothing becomes paid. " +
		"A credit note cannot credit more than its invoice has due when it is issued, here or in the entity's connected books (a 409 naming both amounts, nothing changed). It is pushed to the entity's books when its invoice is there, and applied to it.",
	"post_receivables_id_cancel": "booksync: credit notes cannot be canceled (409); delete a draft one instead. An invoice with credit notes is not canceled either (credit the rest of it). " +
		"An invoice in the entity's books is voided there by the next push; the cancel is refused (409, naming the amounts) while the books hold payments or credits against it.",
}

// statusReasons says, per status, when booksync answers it for any operation where it can arise.
// Monite's document leaves these out of many operations; a client generated from the served
// document must be told of every status it can get (internal/contract fails a test that receives
// one the document does not list).
var statusReasons = map[string]string{
	"400": "Bad Request: the request breaks a rule of the operation that no schema can express, or its body could not be read.",
	"401": "Unauthorized: the bearer token (or, for /auth, the client credentials) is missing, wrong, expired or revoked.",
	"404": "Not Found: the entity named by x-monite-entity-id, or the object the path names, does not exist for this partner.",
	"409": "Conflict: the state of the object (or of the entity's accounting connection) does not allow the operation; nothing was changed.",
	"413": "Content Too Large: the request body is over 1 MiB.",
}

// statusAdditions are the statuses an operation's own handler answers beyond those every
// operation of its kind does (see responseStatuses), keyed by operationId.
var statusAdditions = map[string][]string{
	// The invoice is a draft, canceled or already paid.
	"post_payment_records": {"409"},
	// The payment record is canceled already.
	"post_payment_records_id_cancel": {"409"},
	// The entity already has an active connection, or the accounting system refused the grant.
	"post_accounting_connections": {"409"},
	// The connection (of the record) is not connected, so nothing can be synced or pushed.
	"post_accounting_connections_id_sync":    {"409"},
	"post_accounting_synced_records_id_push": {"409"},
	// Read through to the books: the accounting system refused the request (400), or the
	// connection needs to be made again (409).
	"get_accounting_receivables":    {"400", "409"},
	"get_accounting_receivables_id": {"400", "409"},
	"get_accounting_payables":       {"400", "409"},
	"get_accounting_payables_id":    {"400", "409"},
	// The invoice is not issued, or its books hold payments against it, so it cannot be voided.
	"post_receivables_id_cancel": {"409"},
}

// responseStatuses returns the statuses booksync may answer for an operation beyond 405, 422 and
// 500, which Monite lists everywhere: 401 (every operation needs a bearer token or client
// credentials), 404 when an entity header or the path names an object, 400 and 413 when it takes a
// body, and the handler's own from statusAdditions.
func responseStatuses(id, path string, op map[string]any) []string {
	set := map[string]bool{"401": true}
	if strings.Contains(path, "{") {
		set["404"] = true
	}
	for _, p := range asSlice(op["parameters"]) {
		if pm := asMap(p); pm["in"] == "header" && pm["name"] == "x-monite-entity-id" {
			set["404"] = true
		}
	}
	if op["requestBody"] != nil {
		set["400"], set["413"] = true, true
	}
	for _, st := range statusAdditions[id] {
		set[st] = true
	}
	var out []string
	for st := range set {
		out = append(out, st)
	}
	sort.Strings(out)
	return out
}

// addStatuses declares in op's responses every status booksync answers that Monite's document
// does not list, with Monite's error body, and returns the note that says so.
func addStatuses(id, path string, op map[string]any) (string, error) {
	responses := asMap(op["responses"])
	if responses == nil {
		return "", fmt.Errorf("no responses")
	}
	var added []string
	for _, st := range responseStatuses(id, path, op) {
		if _, ok := responses[st]; ok {
			continue
		}
		reason, ok := statusReasons[st]
		if !ok {
			return "", fmt.Errorf("status %s has no reason in statusReasons", st)
		}
		responses[st] = map[string]any{
			"description": reason,
			"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": schemaRefPrefix + "ErrorSchemaResponse"}}},
		}
		added = append(added, st)
	}
	if len(added) == 0 {
		return "", nil
	}
	return "booksync: also answers " + strings.Join(added, ", ") + " (see Responses), which Monite's document does not list for this operation.", nil
}

// maxInteger is the API's largest integer (2^53-1): JSON clients that read numbers as doubles
// cannot carry a larger one exactly, and every amount booksync stores stays within it.
const maxInteger = 1<<53 - 1

// schemaEdit is how booksync's request schema differs from Monite's component schema of the
// same name. Monite's fields that booksync would refuse or ignore are left out of the served
// document, so a client that reads it is never promised what is refused, and the request
// validator answers such a field with a 422 naming it (additionalProperties is false).
type schemaEdit struct {
	// drop lists properties booksync does not serve.
	drop []string
	// set replaces keywords of properties: tighter bounds, narrower enums.
	set map[string]map[string]any
	// note documents the difference; it is appended to the schema's description.
	note string
}

const ledgerAccountNote = " Once the entity's books are connected and pulled, ledger_account_id must be one of its active accounts from GET /ledger_accounts (else a 422)."

const unmanagedNote = "counterpart_vat_id_id must be one of the counterpart's VAT ids (GET /counterparts/{counterpart_id}/vat_ids) and entity_vat_id_id one of the entity's (GET /entities/{entity_id}/vat_ids), else a 422 naming the field; the invoice returns them as counterpart_vat_id and entity_vat_id, and GET /vat_rates for its lines is asked with them. " +
	"booksync does not manage attachments, contacts, bank account, e-invoicing, payment terms, reminders, projects, tags, rendering settings or withholding tax, so those fields of Monite's schema are not accepted (a 422 names them); the invoice's entity is taken from the entity itself."

// schemaEdits are booksync's differences from Monite's request schemas, keyed by schema name.
// internal/api's TestServedRequestSchemasAreAccepted checks that every property left in a request
// schema is read by its handler or documented here.
var schemaEdits = map[string]schemaEdit{
	"ReceivableFacadeCreateInvoicePayload": {
		drop: []string{"attachments", "counterpart_business_type", "counterpart_einvoicing_credentials_id",
			"document_rendering", "entity", "entity_bank_account_id", "network_credentials_id",
			"overdue_reminder_id", "payment_reminder_id", "payment_terms", "payment_terms_id", "project_id", "tag_ids", "withholding_tax_rate"},
		set:  map[string]map[string]any{"is_einvoice": {"enum": []any{false}}},
		note: unmanagedNote + " is_einvoice may only be false.",
	},
	"UpdateInvoice": {
		drop: []string{"attachments", "contact_id", "counterpart_einvoicing_credentials_id", "document_rendering",
			"entity", "entity_bank_account_id", "network_credentials_id", "overdue_reminder_id", "payment_reminder_id",
			"payment_terms", "payment_terms_id", "project_id", "tag_ids", "withholding_tax_rate"},
		set:  map[string]map[string]any{"is_einvoice": {"enum": []any{false}}},
		note: "for a draft invoice only (an issued one takes UpdateIssuedInvoice). " + unmanagedNote + " is_einvoice may only be false.",
	},
	"ReceivableCreateBasedOnPayload": {
		drop: []string{"tag_ids"},
		set:  map[string]map[string]any{"type": {"allOf": nil, "type": "string", "enum": []any{"credit_note"}}},
		note: "booksync creates credit notes of invoices (type credit_note) and manages no tags.",
	},
	"UpdateCreditNote": {
		drop: []string{"attachments", "counterpart_contact", "document_rendering", "entity", "project_id", "tag_ids"},
		note: "for a draft credit note only. booksync does not manage attachments, contacts, rendering settings, projects or tags. " +
			"line_items maps the product id of a line (as the credit note copied it from its invoice) to the line's new quantity and, with price_diff, how much lower its unit price is; old_price chooses among lines of the same product; lines not named stay as they are.",
	},
	"UpdateIssuedInvoice": {
		drop: []string{"attachments", "contact_id", "counterpart_id", "counterpart_vat_id_id", "document_rendering", "due_date", "entity",
			"entity_address", "entity_vat_id_id", "issue_date", "overdue_reminder_id", "payment_reminder_id", "payment_terms",
			"payment_terms_id", "project_id", "tag_ids"},
		note: "for an issued or partially paid invoice, booksync accepts memo, footer, fulfillment_date and partner_metadata: the fields that leave what the invoice charges, and to whom, as its books already have them. A paid or canceled invoice cannot be updated (409).",
	},
	"LineItem": {
		drop: []string{"custom_vat_rate_id"},
		note: "Give each line's rate as vat_rate_id, one of the rates GET /vat_rates returns for the invoice's entity and counterpart (else a 422 naming it), or in tax_rate_value (percent minor units, 20% is 2000); one of them is required unless the invoice is vat_exempt, and when both are given they must agree. booksync does not manage custom VAT rates." +
			" A line on the 0% reverse-charge rate (a business with a VAT id in another EU member state) is pushed with the books' reverse-charge rate, and the invoice is not issued (422) once its counterpart has no such VAT id." +
			" Once the entity's books are connected and pulled, accounting_tax_rate_id must be one of its active rates from GET /accounting_tax_rates (else a 422).",
	},
	"LineItemUpdate": {
		drop: []string{"custom_vat_rate_id"},
		note: "Give the rate as vat_rate_id, one of the rates GET /vat_rates returns for the invoice's entity and counterpart (else a 422 naming it), or in tax_rate_value; when both are given they must agree. booksync does not manage custom VAT rates.",
	},
	"LineItemProductCreate": {
		drop: []string{"measure_unit", "smallest_amount"},
		note: "booksync does not manage measure units or smallest amounts of inline products." + ledgerAccountNote,
	},
	"ProductServiceRequest": {
		drop: []string{"measure_unit_id"},
		note: "booksync does not manage measure units." + ledgerAccountNote,
	},
	"ProductServiceUpdate": {
		drop: []string{"measure_unit_id"},
		note: "booksync does not manage measure units." + ledgerAccountNote,
	},
	"PaymentRecordRequest": {
		drop: []string{"entity_user_id"},
		set: map[string]map[string]any{"amount": {"minimum": 1, "maximum": maxInteger,
			"description": "The amount paid, in minor currency units (e.g., cents): positive and at most the invoice's amount_due. booksync: refunds and overpayments are not taken (see the schema's description)."}},
		note: "booksync has no entity users, so entity_user_id is not accepted. amount is positive and at most the invoice's amount_due (whatever the payment's status), else a 422 naming amount that says the amount due: " +
			"refunds (negative amounts) and overpayments are not taken, because Xero, QuickBooks and GnuCash all refuse them, and the invoice's amount_paid would then never agree with its books; overpaid_amount is therefore always 0. " +
			"A succeeded payment moves its invoice to partially_paid or paid; a paid, draft or canceled invoice takes no succeeded payment (409).",
	},
	// Response schemas: fields booksync never writes are left out, so a client generated from the
	// served document does not wait for them (internal/api's TestServedResponseSchemasAreReturned).
	"ProductServiceResponse": {
		drop: []string{"measure_unit_id", "entity_user_id"},
		note: "booksync does not manage measure units or entity users, so a product has no measure_unit_id or entity_user_id.",
	},
	"PaymentRecordResponse": {
		drop: []string{"entity_user_id"},
		note: "booksync has no entity users, so a payment record has no entity_user_id; overpaid_amount is always 0, because booksync takes no overpayments.",
	},
	"LedgerAccountResponse": {
		drop: []string{"current_balance"},
		note: "booksync does not read account balances from the books, so current_balance is not returned.",
	},
	"SyncRecordResource": {
		drop: []string{"provider", "provider_object_id", "provider_updated_at"},
		note: "the accounting system and the object's id and update time there are platform, platform_object_id and platform_updated_at; Monite's provider fields are not returned.",
	},
	"AccountingTaxRateResponse": {
		note: "effective_tax_rate and total_tax_rate are -1 for a rate the accounting system computes itself, which is not a percentage: QuickBooks Online US companies with automated sales tax have the pseudo rate \"Taxable (automated sales tax)\" (code TAX), whose tax QuickBooks works out from the customer's address. " +
			"booksync maps every non-zero line rate of such an entity to it and sends its own tax amount; a 0% line maps to \"Non-taxable\" (code NON, rate 0).",
	},
	"PaymentRecordObjectRequest": {
		set:  map[string]map[string]any{"type": {"$ref": nil, "type": "string", "enum": []any{"receivable"}}},
		note: "booksync records payments of receivables only.",
	},
	"ObtainTokenPayload": {
		drop: []string{"entity_user_id"},
		set:  map[string]map[string]any{"grant_type": {"$ref": nil, "type": "string", "enum": []any{"client_credentials"}}},
		note: "booksync issues partner tokens only (grant_type client_credentials); it has no entity users.",
	},
	"IndividualSchema":                     {drop: []string{"ssn_last_4"}, note: "booksync does not store SSNs."},
	"OptionalIndividualSchema":             {drop: []string{"ssn_last_4"}, note: "booksync does not store SSNs."},
	"OrganizationSchema":                   {drop: providedFlags, note: providedNote},
	"OptionalOrganizationSchema":           {drop: providedFlags, note: providedNote},
	"CounterpartOrganizationCreatePayload": {drop: []string{"tag_ids"}, note: tagsNote},
	"CounterpartIndividualCreatePayload":   {drop: []string{"tag_ids"}, note: tagsNote},
	"CounterpartOrganizationUpdatePayload": {drop: []string{"tag_ids"}, note: tagsNote},
	"CounterpartIndividualUpdatePayload":   {drop: []string{"tag_ids"}, note: tagsNote},
	"PatchSettingsPayload": {
		note: "booksync acts on vat_mode and accounting (the ledger accounts and tax rates pushes use; with a connected accounting system each id must be one of its pulled ledger accounts or tax rates). Every other setting is stored and returned as given, but does not change what booksync does.",
	},
}

var providedFlags = []string{"directors_provided", "executives_provided", "owners_provided", "representative_provided"}

const providedNote = "booksync does not onboard entities for payments, so the *_provided flags are not accepted."

const tagsNote = "booksync does not manage tags."

// editSchemas applies schemaEdits to Monite's component schemas, before the served ones are
// collected, so that schemas only a dropped property referred to are left out as well.
func editSchemas(schemas map[string]any) error {
	for name, e := range schemaEdits {
		s := asMap(schemas[name])
		props := asMap(s["properties"])
		if props == nil {
			return fmt.Errorf("schema %s to edit has no properties", name)
		}
		for _, p := range e.drop {
			if _, ok := props[p]; !ok {
				return fmt.Errorf("schema %s has no property %s to drop", name, p)
			}
			delete(props, p)
		}
		if req := asSlice(s["required"]); req != nil {
			var kept []any
			for _, r := range req {
				if _, ok := props[r.(string)]; ok {
					kept = append(kept, r)
				}
			}
			if len(kept) == 0 {
				delete(s, "required") // OpenAPI allows no empty required list
			} else {
				s["required"] = kept
			}
		}
		for p, kw := range e.set {
			prop := asMap(props[p])
			if prop == nil {
				return fmt.Errorf("schema %s has no property %s to change", name, p)
			}
			for k, v := range kw {
				if v == nil {
					delete(prop, k)
				} else {
					prop[k] = v
				}
			}
		}
		desc, _ := s["description"].(string)
		// Every difference reads "booksync: ...", the marker the API's description points to.
		note := "booksync: " + strings.TrimPrefix(e.note, "booksync ")
		s["description"] = strings.TrimSpace(desc + "\n\n" + note)
	}
	return nil
}

// operationFields are the fields OpenAPI 3.1 allows in an Operation Object.
var operationFields = map[string]bool{
	"tags": true, "summary": true, "description": true, "externalDocs": true,
	"operationId": true, "parameters": true, "requestBody": true, "responses": true,
	"callbacks": true, "deprecated": true, "security": true, "servers": true,
}

const versionHeader = "x-monite-version"

const versionNote = "booksync: the `x-monite-version` header is optional; when it is omitted booksync answers as API version " + APIVersion + ", and any other version, or a value that is not a version, is a 422 naming the header."

// versionDescription describes the x-monite-version header parameter of every operation.
const versionDescription = "The version of Monite's API the client is written for. booksync serves version " + APIVersion +
	" only: any other value is refused with a 422 whose message names the supported version, so that a client written for another version never silently gets this version's shapes. Without the header, booksync answers as " + APIVersion + "."

const schemaRefPrefix = "#/components/schemas/"

// Output is what Generate produces.
type Output struct {
	// Document is the OpenAPI document booksync serves (openapi.json).
	Document []byte
	// OperationsGo is the Go source of the operation table (operations_gen.go).
	OperationsGo []byte
}

// Generate reads Monite's OpenAPI document and returns booksync's.
// The output depends only on the input, so it can be compared byte for byte.
func Generate(monite []byte) (*Output, error) {
	var src map[string]any
	dec := json.NewDecoder(bytes.NewReader(monite))
	// Numbers stay as written: a round trip through float64 would rewrite
	// bounds like 1e+20 and make the output depend on float formatting.
	dec.UseNumber()
	if err := dec.Decode(&src); err != nil {
		return nil, fmt.Errorf("decode Monite spec: %w", err)
	}
	srcPaths, _ := src["paths"].(map[string]any)
	components, _ := src["components"].(map[string]any)
	srcSchemas, _ := components["schemas"].(map[string]any)
	if srcPaths == nil || srcSchemas == nil {
		return nil, fmt.Errorf("Monite spec has no paths or component schemas")
	}

	paths := map[string]any{}
	usedTags := map[string]bool{}
	usedSecurity := map[string]bool{}
	type opRow struct{ method, path, id string }
	var rows []opRow
	sortSchemas := map[string]bool{}
	for _, want := range Ops {
		item, _ := srcPaths[want.Path].(map[string]any)
		op, _ := item[strings.ToLower(want.Method)].(map[string]any)
		if op == nil {
			return nil, fmt.Errorf("Monite spec has no %s %s", want.Method, want.Path)
		}
		op = deepCopy(op).(map[string]any)
		id, _ := op["operationId"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s %s has no operationId", want.Method, want.Path)
		}
		// Monite's generator leaks fields such as "schema_name" into
		// operations; OpenAPI forbids them and kin-openapi's Validate
		// rejects the document, and they carry nothing for clients.
		for k := range op {
			if !operationFields[k] && !strings.HasPrefix(k, "x-") {
				delete(op, k)
			}
		}
		notes, err := adjust(id, op, srcSchemas, sortSchemas)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", want.Method, want.Path, err)
		}
		note, err := addStatuses(id, want.Path, op)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", want.Method, want.Path, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
		desc, _ := op["description"].(string)
		desc = strings.TrimRight(desc, "\n ")
		if desc != "" {
			desc += "\n\n"
		}
		op["description"] = desc + strings.Join(notes, "\n\n")
		for _, t := range asSlice(op["tags"]) {
			if s, ok := t.(string); ok {
				usedTags[s] = true
			}
		}
		for _, req := range asSlice(op["security"]) {
			for name := range asMap(req) {
				usedSecurity[name] = true
			}
		}
		out, _ := paths[want.Path].(map[string]any)
		if out == nil {
			out = map[string]any{}
			paths[want.Path] = out
		}
		out[strings.ToLower(want.Method)] = op
		rows = append(rows, opRow{want.Method, want.Path, id})
	}

	if err := editSchemas(srcSchemas); err != nil {
		return nil, err
	}
	schemas := map[string]any{}
	if err := collectSchemas(paths, srcSchemas, schemas); err != nil {
		return nil, err
	}
	if err := extendEnums(schemas); err != nil {
		return nil, err
	}
	for name := range sortSchemas {
		// A list's sort enum is its own: another use of the schema would be narrowed with it.
		if n := countRefs(map[string]any{"paths": paths, "schemas": schemas}, schemaRefPrefix+name); n != 1 {
			return nil, fmt.Errorf("schema %s, a list's sort enum, is referred to %d times; it must be its list's alone", name, n)
		}
	}

	securitySchemes := map[string]any{}
	srcSecurity := asMap(components["securitySchemes"])
	for name := range usedSecurity {
		s, ok := srcSecurity[name]
		if !ok {
			return nil, fmt.Errorf("security scheme %q is not defined", name)
		}
		securitySchemes[name] = deepCopy(s)
	}

	// Monite's tag order is kept (it is alphabetical there); tags no
	// remaining operation uses would only clutter the docs.
	var tags []any
	for _, t := range asSlice(src["tags"]) {
		if name, _ := asMap(t)["name"].(string); usedTags[name] {
			tags = append(tags, deepCopy(t))
		}
	}

	outComponents := map[string]any{"schemas": schemas}
	if len(securitySchemes) > 0 {
		outComponents["securitySchemes"] = securitySchemes
	}
	doc := map[string]any{
		"openapi": src["openapi"],
		"info": map[string]any{
			"title":   "booksync API",
			"version": APIVersion,
			"description": "booksync keeps the invoices a platform issues in step with its customers' books.\n\n" +
				"For the operations listed here, this API is compatible with Monite's API version " + APIVersion +
				": same paths, operation ids, parameters, field names, enums and status codes; each operation also lists the statuses booksync answers that Monite's document leaves out (such as 401, 404, 409 and 413). " +
				"Where booksync differs, the operation's or the schema's description says so in a paragraph starting with \"booksync:\"; " +
				"request fields of Monite's schemas that booksync does not serve are left out, and sending one is a 422 that names it.\n\n" +
				"This document is derived from Monite's published OpenAPI document, " +
				"Copyright (c) 2022 Monite GmbH, used under the MIT licence.",
		},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"components": outComponents,
		"tags":       tags,
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Descriptions contain <, > and &; escaping them as \u003c would make
	// the document needlessly hard to read and diff.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}

	sort.Slice(rows, func(i, j int) bool {
		if rows[i].path != rows[j].path {
			return rows[i].path < rows[j].path
		}
		return rows[i].method < rows[j].method
	})
	var src2 bytes.Buffer
	src2.WriteString("// Code generated by go run ./gen; DO NOT EDIT.\n\npackage apispec\n\n")
	src2.WriteString("// operations is every operation in openapi.json, sorted by path then method.\n")
	src2.WriteString("var operations = []Operation{\n")
	for _, r := range rows {
		fmt.Fprintf(&src2, "{Method: %q, Path: %q, ID: %q},\n", r.method, r.path, r.id)
	}
	src2.WriteString("}\n")
	goSrc, err := format.Source(src2.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format operations table: %w", err)
	}
	return &Output{Document: buf.Bytes(), OperationsGo: goSrc}, nil
}

// adjust applies booksync's differences from Monite to one operation and
// returns the notes that document them. sortSchemas collects the names of the component schemas
// that hold the sort enums of lists (see narrowSort).
func adjust(id string, op map[string]any, schemas map[string]any, sortSchemas map[string]bool) ([]string, error) {
	notes := []string{versionNote}
	found := false
	for _, p := range asSlice(op["parameters"]) {
		pm := asMap(p)
		if pm["name"] == versionHeader && pm["in"] == "header" {
			pm["required"] = false
			pm["description"] = versionDescription
			pm["schema"] = map[string]any{"type": "string", "format": "date", "enum": []any{APIVersion}}
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("no %s header parameter", versionHeader)
	}
	if spec, ok := booksync.ListSpecs[id]; ok {
		served := map[string]bool{}
		for _, name := range spec.QueryParams() {
			served[name] = true
		}
		var kept, dropped []any
		for _, p := range asSlice(op["parameters"]) {
			pm := asMap(p)
			if pm["in"] == "query" && !served[pm["name"].(string)] {
				dropped = append(dropped, pm["name"])
				continue
			}
			kept = append(kept, p)
			delete(served, fmt.Sprint(pm["name"]))
		}
		if len(served) > 0 {
			return nil, fmt.Errorf("booksync serves query parameters Monite does not declare: %v", served)
		}
		op["parameters"] = kept
		if err := narrowSort(op, spec, schemas, sortSchemas); err != nil {
			return nil, err
		}
		if len(dropped) > 0 {
			notes = append(notes, fmt.Sprintf("booksync: these Monite filters are not served, and sending one is a 422 rather than silently ignored: %v. Sorting is by %v.", dropped, spec.Sorts))
		}
	}
	if a, ok := bodyAdditions[id]; ok {
		if op["requestBody"] != nil {
			return nil, fmt.Errorf("Monite now declares a request body; drop the addition")
		}
		op["requestBody"] = map[string]any{"required": false,
			"content": map[string]any{"application/json": map[string]any{"schema": a.schema}}}
		notes = append(notes, a.note)
	}
	if n, ok := opNotes[id]; ok {
		notes = append(notes, n)
	}
	if id == "get_vat_rates" {
		n, err := vatRatesNote()
		if err != nil {
			return nil, err
		}
		notes = append(notes, n)
	}
	if o, ok := bodyOverrides[id]; ok {
		var refs []any
		for _, name := range o.schemas {
			if _, ok := schemas[name]; !ok {
				return nil, fmt.Errorf("schema %s does not exist", name)
			}
			refs = append(refs, map[string]any{"$ref": schemaRefPrefix + name})
		}
		media := asMap(asMap(asMap(op["requestBody"])["content"])["application/json"])
		if media == nil {
			return nil, fmt.Errorf("no application/json request body to narrow")
		}
		if len(refs) == 1 {
			media["schema"] = refs[0]
		} else {
			media["schema"] = map[string]any{"anyOf": refs}
		}
		notes = append(notes, o.note)
	}
	return notes, nil
}

// narrowSort makes the enum of a list operation's sort parameter say exactly what booksync sorts
// the list by (spec.Sorts): Monite's values booksync sorts by keep their place, booksync's other
// sorts follow, and Monite's values booksync does not sort by (a 422) are left out. When the enum
// is a component schema, its name is kept for clients generated from the document, its
// description says how it differs from Monite's, and its name is added to sortSchemas; an inline
// enum's parameter says so instead.
func narrowSort(op map[string]any, spec booksync.ListSpec, schemas map[string]any, sortSchemas map[string]bool) error {
	var param map[string]any
	for _, p := range asSlice(op["parameters"]) {
		if pm := asMap(p); pm["in"] == "query" && pm["name"] == "sort" {
			param = pm
		}
	}
	if param == nil {
		return fmt.Errorf("no sort query parameter")
	}
	name, s := enumSchema(asMap(param["schema"]), schemas)
	if s == nil {
		return fmt.Errorf("the sort query parameter has no enum")
	}
	if sortSchemas[name] {
		return fmt.Errorf("schema %s is the sort enum of another list", name)
	}
	var enum []any
	var added, unserved []string
	for _, v := range asSlice(s["enum"]) {
		if slices.Contains(spec.Sorts, fmt.Sprint(v)) {
			enum = append(enum, v)
		} else {
			unserved = append(unserved, fmt.Sprint(v))
		}
	}
	for _, f := range spec.Sorts {
		if !slices.Contains(enum, any(f)) {
			enum = append(enum, f)
			added = append(added, f)
		}
	}
	s["enum"] = enum
	var notes []string
	if len(added) > 0 {
		notes = append(notes, "the list can also be sorted by "+words(added, "and"))
	}
	if len(unserved) > 0 {
		notes = append(notes, "sorting by Monite's "+words(unserved, "or")+" is a 422")
	}
	// An inline enum is this parameter's alone, and the parameter's description tells of it.
	described := param
	if name != "" {
		sortSchemas[name] = true
		described = s
	}
	if len(notes) > 0 {
		// Every difference reads "booksync: ...", the marker the API's description points to.
		desc, _ := described["description"].(string)
		described["description"] = strings.TrimSpace(desc + "\n\nbooksync: " + strings.Join(notes, "; ") + ".")
	}
	return nil
}

// words joins a list as prose: "a", "a and b", "a, b and c".
func words(list []string, conj string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " " + conj + " " + list[len(list)-1]
}

// enumSchema returns the schema holding the enum of a parameter's schema s, looking through a
// $ref into schemas (and then returning the component's name) and the allOf and anyOf wrappers
// pydantic writes, or nil when there is none.
func enumSchema(s map[string]any, schemas map[string]any) (string, map[string]any) {
	if s == nil {
		return "", nil
	}
	if ref, ok := s["$ref"].(string); ok {
		name, _ := strings.CutPrefix(ref, schemaRefPrefix)
		if c := asMap(schemas[name]); c["enum"] != nil {
			return name, c
		}
		return enumSchema(asMap(schemas[name]), schemas)
	}
	if s["enum"] != nil {
		return "", s
	}
	for _, sub := range append(slices.Clone(asSlice(s["allOf"])), asSlice(s["anyOf"])...) {
		if name, inner := enumSchema(asMap(sub), schemas); inner != nil {
			return name, inner
		}
	}
	return "", nil
}

// countRefs returns how many times v refers to ref.
func countRefs(v any, ref string) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		if t["$ref"] == ref {
			n++
		}
		for _, c := range t {
			n += countRefs(c, ref)
		}
	case []any:
		for _, c := range t {
			n += countRefs(c, ref)
		}
	}
	return n
}

// enumAdditions are values booksync adds to Monite's enums (it adds, never renames): GnuCash is an
// accounting platform Monite does not connect to.
var enumAdditions = map[string][]string{"Platform": {"gnucash"}}

func extendEnums(schemas map[string]any) error {
	for name, values := range enumAdditions {
		s := asMap(schemas[name])
		if s == nil {
			return fmt.Errorf("schema %s to extend is not used", name)
		}
		enum := asSlice(s["enum"])
		for _, v := range values {
			enum = append(enum, v)
		}
		s["enum"] = enum
		desc, _ := s["description"].(string)
		s["description"] = strings.TrimSpace(desc + "\n\nbooksync adds: " + strings.Join(values, ", ") + ".")
	}
	return nil
}

// collectSchemas copies into dst every component schema that v references,
// directly or through other schemas.
func collectSchemas(v any, src, dst map[string]any) error {
	var walk func(v any) error
	walk = func(v any) error {
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok {
				name, ok := strings.CutPrefix(ref, schemaRefPrefix)
				if !ok {
					return fmt.Errorf("unsupported $ref %q", ref)
				}
				if _, done := dst[name]; !done {
					s, ok := src[name]
					if !ok {
						return fmt.Errorf("$ref %q does not resolve", ref)
					}
					dst[name] = deepCopy(s)
					if err := walk(dst[name]); err != nil {
						return err
					}
				}
			}
			for _, c := range t {
				if err := walk(c); err != nil {
					return err
				}
			}
		case []any:
			for _, c := range t {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, c := range t {
			s[i] = deepCopy(c)
		}
		return s
	default:
		return v
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// vatRatesNote says where GET /vat_rates' rates come from, as of when, and which reduced rates it
// leaves out because their data is stale, read from the rate data itself so that the document
// changes with it.
func vatRatesNote() (string, error) {
	tab, err := vatrates.Load()
	if err != nil {
		return "", err
	}
	var withheld []string
	for _, w := range tab.Withheld() {
		rates := make([]string, len(w.Rates))
		for i, v := range w.Rates {
			rates[i] = booksync.Percent(v)
		}
		list := strings.Join(rates, " and ")
		if w.AllReduced {
			withheld = append(withheld, fmt.Sprintf("%s, no reduced rate (the data has %s), because %s, and its reduced rates may have changed with it", w.Country, list, w.Reason))
			continue
		}
		withheld = append(withheld, fmt.Sprintf("%s, the data's %s, because %s", w.Country, list, w.Reason))
	}
	return fmt.Sprintf("booksync: standard rates are those of npm sales-tax 2.23.0 (released %s, maintained), and every rate is served with valid_from %s. "+
		"Reduced, super-reduced and parking rates (EU member states and GB) are those of npm vatrates 2.0.3, the only source of them this project's registries serve, whose data was made in 2020 (its newest period begins %s): "+
		"a country that changed only a reduced rate since then may be served the old one, so check a reduced rate against the country's tax authority, or give the line's rate in tax_rate_value. "+
		"Known stale and not served: %s. internal/vatrates/data/SOURCES records the packages, their integrity and these dates.",
		vatrates.DataDate.Format("2006-01-02"), vatrates.DataDate.Format("2006-01-02"), tab.ReducedAsOf(), strings.Join(withheld, "; ")), nil
}
