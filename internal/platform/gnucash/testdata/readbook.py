# readbook.py BOOK: opens a GnuCash book READ_ONLY with the real engine (python3-gnucash, run it
# with /usr/bin/python3) and prints what GnuCash sees as JSON: every customer with its notes, every
# invoice, credit note and bill with its entries and totals as the engine recomputes them, every
# account's balance, and whether every transaction balances. Amounts are exact fractions ("389/100").
import json, sys
from fractions import Fraction
from gnucash import Session, SessionOpenMode, Query, GncNumeric
from gnucash.gnucash_business import Customer, Invoice

def frac(n):
    if not isinstance(n, GncNumeric):
        n = GncNumeric(instance=n)
    return str(Fraction(n.num(), n.denom()))

def day(t):
    return str(t.date()) if t else None

s = Session("sqlite3://" + sys.argv[1], SessionOpenMode.SESSION_READ_ONLY)
try:
    book = s.book
    out = {"customers": [], "invoices": [], "accounts": [], "transactions": []}
    q = Query(); q.search_for('gncCustomer'); q.set_book(book)
    for r in q.run():
        c = Customer(instance=r)
        out["customers"].append({"id": c.GetID(), "name": c.GetName(), "notes": c.GetNotes()})
    q.destroy()
    q = Query(); q.search_for('gncInvoice'); q.set_book(book)
    for r in q.run():
        inv = Invoice(instance=r)
        lot = inv.GetPostedLot()
        entries = []
        for e in inv.GetEntries():
            entries.append({"description": e.GetDescription(), "quantity": frac(e.GetQuantity()),
                            "price": frac(e.GetInvPrice()), "discount": frac(e.GetInvDiscount()),
                            "value": frac(e.GetDocValue(True, True, False)),
                            "tax": frac(e.GetDocTaxValue(True, True, False)),
                            "account": e.GetInvAccount().GetCode() if e.GetInvAccount() else "",
                            "taxtable": e.GetInvTaxTable().GetName() if e.GetInvTaxable() and e.GetInvTaxTable() else ""})
        owner = inv.GetOwner()
        out["invoices"].append({
            "id": inv.GetID(), "owner": owner.GetName(), "credit_note": bool(inv.GetIsCreditNote()),
            "active": bool(inv.GetActive()), "type": inv.GetTypeString(),
            "owner_id": owner.GetID(), "posted": inv.IsPosted(), "date_posted": day(inv.GetDatePosted()),
            "due": day(inv.GetDateDue()), "subtotal": frac(inv.GetTotalSubtotal()),
            "tax": frac(inv.GetTotalTax()), "total": frac(inv.GetTotal()),
            "lot_balance": frac(lot.get_balance()) if lot else None,
            "lot_closed": bool(lot.is_closed()) if lot else None, "paid": bool(inv.IsPaid()),
            "entries": entries})
    q.destroy()
    seen = set()
    for a in book.get_root_account().get_descendants():
        out["accounts"].append({"name": a.get_full_name(), "code": a.GetCode(), "balance": frac(a.GetBalance())})
        for sp in a.GetSplitList():
            t = sp.parent
            g = t.GetGUID().to_string()
            if g in seen:
                continue
            seen.add(g)
            out["transactions"].append({"num": t.GetNum(), "balanced": t.GetImbalanceValue().zero_p(),
                                        "splits": len(t.GetSplitList()), "posted": str(t.GetDate().date()),
                                        "txn_type": t.GetTxnType(), "guid": g})
    json.dump(out, sys.stdout, indent=1)
finally:
    s.end()
