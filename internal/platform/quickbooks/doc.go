// Package quickbooks is booksync's connector for the QuickBooks Online Accounting API (v3): a
// *Client implements platform.Connector for one company (realm) of one connection.
//
// Every call carries minorversion (75 by default) and Accept: application/json. JSON field names
// are the element names of Intuit's XSDs (internal/contract/qbospec, Apache-2.0). The tests run
// the client against booksync's QuickBooks sandbox and check every request and answer against
// them.
//
// # Batches and idempotency
//
// Customers, items, invoices and payments are created through the batch endpoint, 30 operations
// a request, each object getting its own result: a Fault inside one BatchItemResponse (HTTP 200)
// fails that object alone. Each write carries a requestid derived from the objects' refs and the
// request body (a SHA-256-based UUID, 36 characters): sending the same request again makes
// QuickBooks replay its first answer instead of creating the objects twice, while a request whose
// data changed gets a new id. Each batch item is metered by QuickBooks as a call, and the client
// spends the connection's budget (Limits) accordingly.
//
// Natural keys, looked up before creating: customers by DisplayName (QuickBooks has no contact
// number, so booksync's Ref is not stored; two counterparts with the same name share a customer),
// items by Sku (= booksync's item code) then Name, invoices by DocNumber, and only for invoices
// with MaybeExists. Payments have no natural key; the requestid alone protects them.
//
// # Tax
//
// Outside the US, a line's tax code is a QuickBooks TaxCode Id, and TaxRates returns one
// platform.TaxRate per TaxCode: Rate is the sum of the RateValue of the TaxRates in its
// SalesTaxRateList, in percent minor units (rounded to hundredths when QuickBooks has more
// decimals), Components are those rates, Revenue says it has a sales rate list.
//
// A US company with automated sales tax (AST, Preferences.TaxPrefs.PartnerTaxEnabled; see
// Client.AutomatedSalesTax) computes tax itself from the customer's address, and a line can only
// say taxable or not. TaxRates then returns exactly two pseudo rates:
//
//	Code "TAX"  Name "Taxable (automated sales tax)"  Automated true  Revenue true
//	Code "NON"  Name "Non-taxable"                    Rate 0          Revenue true
//
// Automated means "computed by QuickBooks": the rate has no value, so matching by value alone
// maps only 0% rates (to NON). The engine must map every non-zero booksync rate to the TAX
// pseudo rate (the API shows its effective_tax_rate as -1) and send the line's TaxAmount as
// usual.
//
// QuickBooks computes automated sales tax from the ship-to address (else the company's): the
// state's rate and the county's, city's and districts' on top, one TaxLine per jurisdiction. The
// platform decided each line's tax_rate_value when it issued the invoice, and the customer was
// billed that tax; when the address's combined rate differs, or QuickBooks rounds per
// jurisdiction where booksync rounds per line, QuickBooks' own figure would put a total in the
// books that is not the invoice's. So the connector always sends booksync's total tax as
// TxnTaxDetail.TotalTax. Intuit documents that automated sales tax honours an explicit tax amount
// and prorates it over the rates of the tax code it assigns; the invoice then records the
// difference per TaxLine (OverrideDeltaAmount) and TaxReviewStatus AST_TAX_OVERRIDE (Finance.xsd),
// so the books hold booksync's tax to the cent and show the bookkeeper that it was overridden,
// and the totals compared after the push are booksync's. UseAutomatedSalesTax is not sent: true
// would make QuickBooks apply its own rates over booksync's tax.
//
// Two invoices cannot be written faithfully and fail before any call: tax on an invoice with no
// taxable (TAX) line, which QuickBooks has nothing to prorate over ("sales_tax_without_taxable_line",
// a line's accounting_tax_rate_id naming Non-taxable while it carries tax). US companies have no
// tax-inclusive amounts: an inclusive invoice is sent TaxExcluded with each line's Amount net of
// its tax, so the books hold the same net, tax and total. Legacy (non-AST) US companies are not
// handled specially: their TaxCodes are returned as they are.
//
// Outside US tax the invoice carries TxnTaxDetail.TaxLine, one per TaxRate used, with booksync's
// taxable net (NetAmountTaxable) and tax (Amount; a tax code with several rates has its lines'
// tax split among them in proportion to their rates, to the cent), and TotalTax, so QuickBooks
// books booksync's figures instead of recomputing them.
//
// # Line amounts and discounts
//
// QuickBooks requires Amount = Qty × UnitPrice on each line, has no per-line discount amount
// (only an invoice-level discount line), and rounds amounts to the cent. booksync's lines carry
// their discount (their own and their share of the invoice discount) in LineAmount, so each line
// is sent with Amount = LineAmount and a UnitPrice = LineAmount / Qty, when that division is exact
// within 7 decimals (QuickBooks' unit-price precision): 2 × 10.00 less 3.00 goes as 2 × 8.50.
// Otherwise the line goes as Qty 1 at UnitPrice = LineAmount, and its description ends with the
// real quantity, unit price and discount, e.g. "Widget (0.3333 × 1.00)". Either way the line's
// Amount is booksync's to the cent. For a tax-inclusive invoice (GlobalTaxCalculation
// TaxInclusive) QuickBooks' Amount is net of tax: the line is sent with Amount = LineAmount −
// TaxAmount and TaxInclusiveAmt = LineAmount (as QuickBooks itself reports such lines).
//
// A line without an item is sent with SalesItemLineDetail.ItemAccountRef (the account of its
// AccountCode) and no ItemRef; QuickBooks then uses its default item, and may book the line to
// that item's income account instead.
//
// # Totals
//
// Result.Totals are what QuickBooks reports after the push, converted exactly to minor units
// (money.ParseMajor): Total = TotalAmt, Tax = TxnTaxDetail.TotalTax, Subtotal = TotalAmt −
// TotalTax, for exclusive and inclusive invoices alike, so they compare directly with booksync's
// Expected totals.
//
// # Errors
//
// Every failure is a *platform.Error whose class tells the sync engine what to do; classify.go
// has the table. A throttled call (429, ThrottleExceeded) pauses the connection's budget for 60
// seconds, as QuickBooks sends no Retry-After; a network failure after a write was sent is an
// unknown outcome, never a plain retry. An update that meets a stale object (5010) is read again
// and retried once.
//
// # After the push
//
// The connector follows each invoice after it is pushed (platform.Lifecycle): VoidInvoices uses
// QuickBooks' void operation (an invoice with payments or credits applied is refused with
// "invoice_has_payments"), PushCreditNotes creates a CreditMemo and applies it to its invoice
// with a Payment of TotalAmt 0 linking both (the only way QuickBooks applies a credit),
// DeletePayments deletes payments, Changes pulls what changed with the ChangeDataCapture, and
// Bills and Bill read purchase bills. Voids and deletions go through the batch endpoint with the
// SyncToken read just before; each looks the objects up first, so that one already voided,
// applied or deleted succeeds without a second write.
//
// NewProvider gives the sync engine all of this: OAuth (Endpoint and Scopes, for QuickBooks'
// Production endpoints or those of booksync's sandbox), the company the callback's realmId names,
// read with the new grant, a Client per company, and QuickBooks' limits.
package quickbooks
