// Package xero is booksync's built-in Xero: an in-process imitation of
// Xero's identity service (OAuth 2 authorization code flow) and of the parts
// of the Accounting API a sales-invoice connector uses, so the real Xero
// connector can run against it over HTTP with no Xero account.
//
// booksync mounts [Sandbox.Handler] under /sandbox/xero/ and strips that
// prefix. Responses use the field names and shapes of Xero's OpenAPI
// document (internal/contract/xerospec/xero_accounting.yaml, MIT), and the tests validate
// every Accounting API response against it.
//
// # OAuth
//
// GET /oauth/authorize shows a consent page; its Allow button POSTs the same
// URL with consent=allow, which creates a new seeded organisation and
// redirects to redirect_uri with code and state. The organisation's country
// is the form's country field (GB, IE, DE, FR, NL, ES, IT, US, CA, AU or NZ;
// another is refused with 400), else the authorization URL's country
// parameter (booksync sends the connecting entity's), else GB. It comes with
// that country's base currency, Version (UK, AU, NZ, US or GLOBAL), tax rates
// (countries.go: the edition's seeded TaxTypes, and for US and GLOBAL
// editions the national rates as TAX001, TAX002, ...; a US organisation has a
// sales tax rate per place of internal/salestax, New York City's first, a
// TaxComponent per state, county, city or district rate) and chart of accounts (consent=deny redirects
// with error=access_denied). POST /oauth/token accepts any client id and
// secret (HTTP Basic or form), but a code or refresh token only works for
// the client id, and a code only for the redirect_uri, it was issued to.
// Access tokens live 30 minutes. As in Xero, a refresh token is issued
// only when the scope includes offline_access; refresh tokens rotate, and a
// rotated token stays usable for a 30-minute grace period, after which it
// gives invalid_grant. POST /oauth/revoke, or [sandbox.FaultRevoke], revokes the
// grant: refreshes fail with invalid_grant and API calls get 401.
// GET /connections lists the organisations a token's grant covers.
//
// # Accounting API
//
// Under /api.xro/2.0: Accounts, TaxRates, Contacts, Items, Invoices,
// Payments, CreditNotes (with PUT /CreditNotes/{id}/Allocations),
// Currencies (GET) and Organisation. Multi-currency: the organisation page's
// Add currency form, or POST /orgs/{tenant}/currencies with {"code": "EUR"}
// (JSON or a form, with the partner's bearer token), adds a currency. Every call needs a Bearer token (401 otherwise)
// and an xero-tenant-id the token's grant covers (403 otherwise).
//
// Batch writes follow Xero's summarizeErrors rule: with summarizeErrors=false
// the valid elements are stored and every element is returned with 200,
// invalid ones carrying ValidationErrors and StatusAttributeString "ERROR";
// without it, one invalid element fails the call with 400 ValidationException
// and nothing is stored. Validation enforces, per organisation:
//   - ACCREC InvoiceNumber unique, ignoring case ("Invoice # must be unique.");
//     a missing number is generated as INV-0001, INV-0002, ...;
//   - active contact Names unique, ignoring case;
//   - an invoice's contact exists, found by ContactID, else ContactNumber,
//     else Name. Xero would create a contact for an unknown name; the
//     sandbox refuses so a connector that skipped pushing the customer fails;
//   - each line's TaxType is an ACTIVE rate usable on sales
//     (CanApplyToRevenue), AccountCode an active account that is not a bank
//     or system account (required unless the invoice is a DRAFT), ItemCode
//     an existing item, and Description or ItemCode given;
//   - Quantity, UnitAmount and discounts are numbers; LineAmountTypes is
//     Exclusive (default), Inclusive or NoTax;
//   - CurrencyCode is the base currency or one added to the organisation
//     ("Organisation is not subscribed to currency X"); a foreign-currency
//     invoice or credit note gets the client's CurrencyRate, else the
//     sandbox's fixed rate (units of the currency per unit of the base one);
//   - Item Code is unique and at most 30 characters, Name at most 50.
//
// # After the push
//
// Invoices are ACCREC (sales) or ACCPAY (bills, whose lines take purchase
// tax rates). POST /Invoices/{id} with Status VOIDED voids an approved
// invoice and DELETED deletes a draft; an invoice with a payment or a credit
// note allocated cannot be changed at all ("This document cannot be edited as
// it has a payment or credit note allocated to it."), and a voided or deleted
// one answers "Invoice not of valid status for modification". A voided
// invoice has AmountDue 0. POST /Payments/{id} with {"Status":"DELETED"}
// deletes a payment (its Status becomes DELETED, its invoice owes the amount
// again and turns AUTHORISED if it was PAID); a second delete is refused.
// Sales credit notes (ACCRECCREDIT, numbered CN-0001... unless given, unique
// by number) are created with PUT or POST /CreditNotes and read by id or with
// where; an allocation needs an AUTHORISED credit note and invoice in the same
// currency, and may not exceed the credit note's RemainingCredit or the
// invoice's AmountDue: every allocation of a request is checked first, and a
// refused one fails the request with 400 and nothing applied. An allocation
// moves the invoice's AmountCredited and AmountDue and the credit note's
// RemainingCredit; either becomes PAID at zero.
//
// Every change sets the object's UpdatedDateUTC, and a payment, its deletion
// or an allocation sets its invoice's too. GET /Invoices, /Payments and
// /CreditNotes honour If-Modified-Since (objects changed at or after it) and
// list the oldest change first, so that a client paging through changes
// misses none; GET /Invoices takes order=Date DESC too.
//
// # Amounts
//
// All arithmetic is decimal (shopspring/decimal) and every rounding is to
// 2 dp, half away from zero, as Xero rounds:
//
//	UnitAmount = round(UnitAmount, 2), or 4 dp with unitdp=4
//	Quantity   = round(Quantity, 4)
//	LineAmount = round2(Quantity × UnitAmount × (1 − DiscountRate/100))
//	             (or round2(Quantity × UnitAmount) − DiscountAmount)
//	line tax   = round2(LineAmount × rate)               Exclusive
//	           = round2(LineAmount × rate / (1 + rate))  Inclusive
//	           = 0                                       NoTax
//	Exclusive: SubTotal = Σ LineAmount,         Total = SubTotal + TotalTax
//	Inclusive: SubTotal = Σ (LineAmount − tax), Total = Σ LineAmount
//	TotalTax = Σ line tax; AmountDue = Total − AmountPaid
//
// A TaxAmount sent on a line overrides the computed tax, as Xero allows.
//
// # Idempotency, rate limits and faults
//
// A PUT or POST with an Idempotency-Key replays the stored status and body
// of the first call with the same key, method and path for 24 hours,
// without applying it again. With [sandbox.Options].Limits, each organisation gets
// Xero's limits: 5 concurrent calls, 60 per rolling minute and 5,000 per
// rolling day (windows divided by TimeScale); an excess call gets 429 with
// Retry-After and X-Rate-Limit-Problem (concurrent, minute, day). Every API
// response carries X-MinLimit-Remaining, X-DayLimit-Remaining and
// X-AppMinLimit-Remaining. [Sandbox.InjectFault] (or POST /faults with
// {tenant_id, kind, count, path}, count 1 to 1000) makes calls fail with 500
// or 429, drops the connection after a write was stored, revokes the
// organisation's grants, or ends its access tokens early. POST /faults
// answers every problem in Monite's error shape ([sandbox.ServeFaults]).
//
// # Persistence and pages
//
// Every change is saved through a [sandbox.Store] under namespace "xero": key "auth"
// holds grants and tokens, "org/<tenant>" the organisation with its accounts
// and tax rates, and "org/<tenant>/<kind>/<id>" each contact, item,
// invoice, payment, credit note and idempotency record. [New] loads them back. Invoices and the
// responses kept for idempotency replay stay in the Store: the sandbox keeps in memory only what
// finds, filters and orders an invoice, and reads the invoice when a call needs it, so that large
// books cost it little memory.
// GET /orgs lists organisations and GET /orgs/{tenant} shows one, with forms
// to add or archive a tax rate, to edit a contact's name and email, to add a
// bill, and buttons per invoice (pay, credit, void) and per payment (delete).
// The actions take a form from the page or, from a partner's script with its
// bearer token, a JSON object of strings (201 or 200 with the object as
// JSON; a browser is sent back to the page):
//
//	POST /invoices/{InvoiceID}/payments     {"amount": "50.00", "date": "2026-11-20"}  amount defaults to what is due, date to today
//	POST /invoices/{InvoiceID}/void         voids (or deletes a draft), as the API does
//	POST /invoices/{InvoiceID}/credit_notes {"amount": "10.00", "date": ...}  an allocated credit note
//	POST /payments/{PaymentID}/delete       deletes a payment
//	POST /orgs/{tenant}/bills               {"contact": "Acme", "amount": "120.00", "date": ..., "due_date": ..., "number": ...}
//
// An invoice, payment or organisation of another partner is a 404; bad
// input a 400 naming the field, with nothing changed. The same actions are
// methods of [Sandbox] for Go tests ([Sandbox.PayInvoice] and friends), and
// [Sandbox.AddInvoices] fills an organisation with many invoices at once. A form
// that cannot be read (not a form, a bad encoding, a missing field) answers
// 415 or 400 and changes nothing. These pages and POST /faults are served only
// behind [sandbox.Options].Gate (a [sandbox.Gate]): they need the partner's login or
// bearer token, show only the organisations its entities connected (another
// partner's is a 404), and faults answer 403 unless the gate allows them.
package xero
