// Package quickbooks is booksync's built-in QuickBooks Online: an in-process
// imitation of Intuit's OAuth 2 service and of the parts of the QuickBooks
// Online Accounting API (v3, minorversion 75+) a sales-invoice connector
// uses, so the real QuickBooks connector can run against it over HTTP with
// no Intuit account.
//
// booksync mounts [Sandbox.Handler] under /sandbox/quickbooks/ and strips
// that prefix. JSON field names are the element names of Intuit's XSDs
// (Finance.xsd, IntuitRestServiceDef.xsd): Id, SyncToken, MetaData,
// CustomerRef{value,name}, Line[], TxnTaxDetail, TotalAmt, Balance, ...
//
// # OAuth
//
// GET /oauth2/authorize (client_id, redirect_uri, response_type=code, scope
// including com.intuit.quickbooks.accounting, state) shows a consent page.
// Its Connect button POSTs the same URL with consent=allow and the company's
// country (GB, IE, DE, FR, NL, ES, IT, US, CA, AU or NZ; default: the
// authorization URL's country parameter, which booksync sets to the
// connecting entity's, else GB; company=uk or company=us still chooses GB or
// US); that creates a new seeded company (countries.go: home currency, tax
// codes, address; every non-US company works as the UK one does below) and
// redirects 302 to redirect_uri with code, state and realmId
// (consent=deny redirects with error=access_denied). POST
// /oauth2/v1/tokens/bearer takes HTTP Basic client credentials (any id and
// secret; a code or refresh token only works for the client id it was issued
// to, a code only with its redirect_uri, once, within 5 minutes) and
// grant_type authorization_code or refresh_token. It answers token_type
// "bearer", expires_in 3600 and x_refresh_token_expires_in 8726400. Every
// refresh returns a new refresh token; the old one keeps working for 24
// hours after its first use, then gives 400 {"error":"invalid_grant"}.
// POST /oauth2/v1/tokens/revoke ({"token":...} or a form), or [sandbox.FaultRevoke],
// revokes the grant: refreshes give invalid_grant and API calls 401
// AuthenticationFault. A token works for its own realm only (else 403
// AuthorizationFault).
//
// # Accounting API
//
// Under /v3/company/{realmId}; every call needs minorversion=75 or later
// (else 400 ValidationFault "minorversion 75 or later is required").
//
//	POST /customer, /item, /invoice, /payment,    create; with Id+SyncToken update
//	     /account                                 (sparse=true for a partial update);
//	                                              ?operation=delete for invoice, payment;
//	                                              ?operation=void for invoice
//	POST /creditmemo, /vendor, /bill              create
//	GET  /{entity}/{id}                           customer, item, invoice, payment,
//	                                              account, taxcode, taxrate, creditmemo,
//	                                              vendor, bill
//	GET  /cdc?entities=...&changedSince=...       change data capture
//	GET  /companyinfo/{realmId}, GET /preferences
//	GET or POST /query?query=...                  (POST may send the statement as body)
//	POST /batch                                   at most 30 BatchItemRequest items
//	POST /taxservice/taxcode                      a UK company's new tax code (TaxService)
//
// Responses wrap objects as QuickBooks does ({"Invoice":{...},"time":...});
// failures are {"Fault":{"Error":[{Message,Detail,code,element}],"type":...},"time":...}.
// Queries support select * | count(*) from Customer, Item, Invoice, Payment,
// CreditMemo, Vendor, Bill, Account, TaxCode, TaxRate, CompanyInfo or Preferences, with where
// conditions (=, !=, <, >, <=, >=, like, in (...)) joined by and, on any
// field path (Metadata.LastUpdatedTime, CustomerRef, ...), orderby,
// STARTPOSITION and MAXRESULTS (default 100, at most 1000). Times compare as
// times, numbers as numbers, text ignoring case. As in QuickBooks, inactive
// customers, items, accounts and tax codes are left out unless the where
// clause mentions Active, and an empty result is an empty QueryResponse.
// Batch items run in order, each on its own; a failed item carries a Fault
// and the call is still 200.
//
// Validation, with QuickBooks' codes:
//   - 6140 Duplicate Document Number Error: DocNumber unique among invoices,
//     ignoring case; a missing DocNumber is numbered 1001, 1002, ...; at most 21 characters (2050);
//   - 6240 Duplicate Name Exists Error: customer DisplayName (and item and
//     account Name, and account AcctNum) unique ignoring case, inactive ones included;
//   - 610 Object Not Found: CustomerRef and ItemRef must exist and be active;
//   - 2500 Invalid Reference Id: TaxCodeRef, IncomeAccountRef, ItemAccountRef,
//     DepositToAccountRef must exist;
//   - 2020 Required param missing: CustomerRef, Line, Line.Amount, ItemRef,
//     item Name and IncomeAccountRef, payment TotalAmt;
//   - 6070 Amount is not equal to UnitPrice * Qty: when both are sent,
//     Amount must equal round2(Qty × UnitPrice);
//   - 5010 Stale Object Error: an update's SyncToken must be the current one;
//   - 6000 business validation: CurrencyRef must be the home currency until
//     multicurrency is on (the company page's button, or POST
//     /companies/{realm}/multicurrency with the partner's bearer token), and
//     an invoice's currency its customer's; a foreign-currency invoice gets
//     the client's ExchangeRate, else the sandbox's fixed rate (home currency
//     per unit); a UK line needs a TaxCodeRef (unless
//     GlobalTaxCalculation is NotApplicable), a US line's TaxCodeRef is TAX
//     or NON, payments apply at most each invoice's Balance and at most TotalAmt.
//
// # Tax and totals
//
// All arithmetic is decimal; round2 rounds to cents half away from zero.
//
// UK companies (company=uk, the default) have tax codes "20.0% S" (Id 2),
// "5.0% R" (3), "0.0% Z" (4), "Exempt" (5) and "No VAT" (6), each with one
// sales TaxRate of the same name (Ids 10-14: 20%, 5%, 0%, 0%, 0%). Each line
// names a TaxCodeRef. Tax is computed per tax rate, never per line:
//
//	gross(rate) = Σ Amount of the lines whose code has that rate − discount share
//	TaxExcluded (default): TaxLine.Amount = round2(gross × rate/100),
//	                       NetAmountTaxable = gross
//	TaxInclusive:          TaxLine.Amount = round2(gross × rate/(100+rate)),
//	                       NetAmountTaxable = gross − TaxLine.Amount
//	NotApplicable:         no tax
//	TotalTax = Σ TaxLine.Amount (one TaxLine per rate used, 0% ones included,
//	           in order of first use)
//	TotalAmt = Σ line Amount − discount (+ TotalTax when TaxExcluded)
//
// In TaxInclusive mode, as in QuickBooks, a line's Amount is net of tax and
// its TaxInclusiveAmt the gross (derived from Amount and the rate when left
// out); a rate's tax is extracted from the sum of its lines' gross amounts. A
// request's TxnTaxDetail.TaxLine[].Amount for a TaxRateRef used on the
// invoice overrides the computed amount, as a user's tax override does in
// QuickBooks, and the difference is reported as that TaxLineDetail's
// OverrideDeltaAmount; a TaxLine for a rate no line uses is a 6000 fault.
// TotalTax sent without TaxLines is ignored in UK companies.
//
// US companies (company=us) use automated sales tax
// (Preferences.TaxPrefs.PartnerTaxEnabled = true): lines say TaxCodeRef
// "TAX" or "NON" (default: the item's Taxable), and the engine charges the
// state and local rates of the place the invoice goes to: its ShipAddr, else
// the customer's ShipAddr, else the customer's BillAddr, else the company's
// own address (New York City), matched by CountrySubDivisionCode (a USPS code
// or the state's name) and City against internal/salestax, a table of published
// state and local rates (NY/New York City, CA/Los Angeles and San Francisco,
// TX/Austin, WA/Seattle, IL/Chicago, FL/Miami, MA, OR; the file names its
// sources and date). A city the table does not list pays its state's rates
// alone; a state it does not list, the company address's. The company is taken
// to collect in every state of the table. Each place has a TaxCode (named
// "Los Angeles, CA", or "OR" for a whole state) with one TaxRate per
// jurisdiction, set as TxnTaxCodeRef, and the invoice shows one TaxLine per
// jurisdiction: round2(taxable × rate/100) on the sum of the taxable lines
// less their share of any discount (NetAmountTaxable), and TotalTax their sum.
// A TotalTax sent in TxnTaxDetail is honoured as the invoice's tax, as
// QuickBooks honours an explicit tax amount: it is prorated over the
// jurisdictions by their rates (each share rounded, the last taking the
// remainder), each TaxLine reports OverrideDeltaAmount (its share less its
// computed tax) and TxnTaxDetail.TaxReviewStatus is AST_TAX_OVERRIDE. A tax
// on an invoice with nothing taxable is refused (6000). TaxInclusive is
// refused. TotalAmt = Σ line Amount − discount + TotalTax.
//
// POST /taxservice/taxcode adds a tax code to a UK company, as Intuit's TaxService does:
// {"TaxCode": name, "TaxRateDetails": [...]}, each detail an existing rate (TaxRateId) or a new
// one (TaxRateName, RateValue, TaxAgencyId), applicable on Sales (default) or Purchase. The
// answer is the request, unwrapped, with TaxCodeId and every TaxRateId filled in. A code with
// several sales rates (Canada's GST and PST, say) taxes each rate on its own, as above. Names are
// unique (6240); US companies refuse it (6000).
//
// A DiscountLineDetail line (Amount, or PercentBased with DiscountPercent of
// the subtotal, rounded) is shared over the tax groups in proportion to
// their amounts, each share rounded to cents and the last taking the
// remainder. Responses add a SubTotalLineDetail line after the item lines.
// Balance starts at TotalAmt; payments ({CustomerRef, TotalAmt,
// Line[{Amount, LinkedTxn[{TxnId, TxnType "Invoice"}]}], DepositToAccountRef
// defaulting to Undeposited Funds}) reduce it, link the payment on the
// invoice and bump its SyncToken; the customer's Balance is the sum of its
// invoices' balances.
//
// # Voids, credit memos, deletions and change data capture
//
// ?operation=void of an invoice ({Id, SyncToken}, also as a batch item's operation) keeps the
// invoice with its amounts and quantities set to 0 (TotalAmt, Balance, line Amounts, tax) and
// "Voided" prefixed to its PrivateNote; it is refused (6000) while LinkedTxn names a payment or
// credit, and an invoice already voided is answered as it is. A CreditMemo is computed as an
// invoice is, its DocNumber unique among credit memos (6140), and its Balance and
// RemainingCredit are the credit not yet applied. A Payment's lines may link a CreditMemo as
// well as invoices: such a line applies that much credit (at most the memo's Balance), and
// TotalAmt must cover the invoice lines less the credit lines, so a Payment of TotalAmt 0 with
// one line per side applies a credit memo to an invoice. Deleting a payment gives its invoices
// and credit memos their balances back. Every change bumps the SyncToken and
// MetaData.LastUpdatedTime of each entity it touches (a payment its invoices and credit memos).
//
// GET /cdc?entities=Invoice,Payment,CreditMemo&changedSince=<date-time> answers
// {"CDCResponse":[{"QueryResponse":[{"Invoice":[...]}, {"Payment":[...]}, ...]}],"time":...},
// one QueryResponse per entity asked for (Invoice, Payment, CreditMemo, Bill, Customer, Item,
// Vendor), with the objects whose LastUpdatedTime is at or after changedSince to the second, and
// the entities deleted since as {"Id","status":"Deleted","MetaData"}. changedSince reaches back
// 30 days at most (else 400), and an answer holds at most 1,000 objects, the oldest changes
// first. Vendors ({DisplayName}, unique) and their Bills ({VendorRef, Line[{Amount,
// AccountBasedExpenseLineDetail{AccountRef}}], TxnDate, DueDate, DocNumber}, booked to Office
// Expenses and Accounts Payable by default, TotalAmt = Balance = Σ Amount) are created, read and
// queried.
//
// # Idempotency, throttles and faults
//
// A POST (other than /query) with a requestid query parameter replays the
// stored status and body of the company's first call with that requestid
// for 24 hours, without applying it again (5xx answers are not stored).
// With [sandbox.Options].Limits, each company gets 500 calls per rolling minute
// (window divided by TimeScale; each batch item counts as a call) and 10
// concurrent calls; an excess call gets 429 {"Fault":{"Error":[{"Message":
// "Too Many Requests","code":"003001"}],"type":"ThrottleExceeded"}} and no
// Retry-After, as Intuit sends none. [Sandbox.InjectFault] (or POST /faults
// with {realm_id, kind, count, path}, count 1 to 1000) makes calls fail with
// 500 SystemFault or 429, drops the connection after a write was stored,
// revokes the company's grants, or ends its access tokens early. POST
// /faults answers every problem in Monite's error shape
// ([sandbox.ServeFaults]).
//
// # Persistence and pages
//
// Every change is saved through a [sandbox.Store] under namespace "quickbooks", one
// SaveSandbox call per request: key "auth" holds grants and tokens,
// "realm/<id>" the company with its settings, accounts, tax codes and rates,
// and "realm/<id>/<kind>/<id>" each customer, item, invoice, payment, credit memo, vendor,
// bill, deletion (kind "deleted", for the change data capture) and requestid record (a deleted
// object is saved as null). [New] loads them
// back. Invoices and the responses kept for requestid replay stay in the Store: the sandbox keeps
// in memory only what finds an invoice, checks its DocNumber, sums its customer's balance and
// answers a change data capture, and reads the invoice when a call needs it. GET /companies lists companies and GET /companies/{realmId} shows
// one: invoices with totals, payments, credit memos, bills, customers, items, tax codes and
// rates, and the chart of accounts. The company page has buttons to pay an invoice (an amount,
// the balance by default), credit it (a credit memo without tax, applied to it), void it, delete
// a payment and add a bill; the same actions answer a partner's script with its bearer token
// (see actions.go for the paths and bodies). [Sandbox.AddInvoices] fills a company's books
// quickly for benchmarks. These pages, their actions and POST /faults are served
// only behind [sandbox.Options].Gate (a [sandbox.Gate]): they need the partner's login
// or bearer token, show only the companies its entities connected (another
// partner's is a 404), and faults answer 403 unless the gate allows them.
package quickbooks
