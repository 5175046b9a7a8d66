# oracle.py BOOK < spec.json: posts each invoice of spec through the real GnuCash engine in a new
# book and prints what the engine computed, as JSON.
import sys, json
from datetime import date
from fractions import Fraction
from gnucash import Session, SessionOpenMode, GncNumeric, Account
from gnucash.gnucash_business import Customer, Invoice, Entry, TaxTable, TaxTableEntry
from gnucash import gnucash_core_c as gc

def num(s):
    f = Fraction(s)
    return GncNumeric(f.numerator, f.denominator)

def frac(n):
    return str(Fraction(n.num(), n.denom()))

spec = json.load(sys.stdin)
path = sys.argv[1]
try:
    s0 = Session("sqlite3://" + path, SessionOpenMode.SESSION_NEW_STORE); s0.save()
except Exception:
    pass
try:
    s0.end(); s0.destroy()
except Exception:
    pass
s = Session("sqlite3://" + path, SessionOpenMode.SESSION_BREAK_LOCK)
book = s.book
root = book.get_root_account()
C = book.get_table().lookup("ISO4217", spec["currency"])
def mkacct(name, typ):
    a = Account(book); a.BeginEdit(); a.SetName(name); a.SetType(typ); a.SetCommodity(C); root.append_child(a); a.CommitEdit(); return a
ar = mkacct("AR", gc.ACCT_TYPE_RECEIVABLE)
sales = mkacct("Sales", gc.ACCT_TYPE_INCOME)
taxaccts = {}
tables = {}
def table(rates):
    key = ",".join(rates)
    if key not in tables:
        tt = None
        for i, r in enumerate(rates):
            name = "Tax%d" % i
            if name not in taxaccts:
                taxaccts[name] = mkacct(name, gc.ACCT_TYPE_LIABILITY)
            e = TaxTableEntry(taxaccts[name], True, num(r))
            if tt is None:
                tt = TaxTable(book, "T" + str(len(tables)), e)
            else:
                tt.AddEntry(e)
        tables[key] = tt
    return tables[key]
cust = Customer(book, "C1", C, "Cust")
out = []
for n, spec_inv in enumerate(spec["invoices"]):
    inv = Invoice(book, "I%d" % n, C, cust)
    inv.SetDateOpened(date(2025, 1, 15))
    for l in spec_inv["lines"]:
        e = Entry(book, inv)
        e.SetDate(date(2025, 1, 15))
        e.SetQuantity(num(l["qty"])); e.SetInvPrice(num(l["price"])); e.SetInvAccount(sales)
        e.SetInvTaxable(bool(l["taxes"])); e.SetInvTaxIncluded(bool(spec_inv.get("inclusive")))
        if l["taxes"]:
            e.SetInvTaxTable(table(l["taxes"]))
        if l.get("discount"):
            e.SetInvDiscountType(gc.GNC_AMT_TYPE_VALUE); e.SetInvDiscount(num(l["discount"]))
    inv.PostToAccount(ar, date(2025, 1, 15), date(2025, 2, 14), "", True, False)
    splits = {}
    for sp in inv.GetPostedTxn().GetSplitList():
        splits[sp.GetAccount().GetName()] = frac(sp.GetValue())
    out.append({"subtotal": frac(inv.GetTotalSubtotal()), "tax": frac(inv.GetTotalTax()),
                "total": frac(inv.GetTotal()), "splits": splits})
s.save(); s.end(); s.destroy()
json.dump(out, sys.stdout)
