# engine.py BOOK ACTION ARGS...: changes a book with the real GnuCash engine (python3-gnucash, run
# it with /usr/bin/python3), as a GnuCash user would, and saves it. Actions:
#   pay INVOICE_ID AMOUNT FRACTION DATE NUM BANK_CODE   Process Payment of AMOUNT/FRACTION on an invoice
#   unpost INVOICE_ID                                    Unpost an invoice (resetting tax tables)
#   delete-payment NUM                                   Delete the payment transaction numbered NUM
#   bill VENDOR BILL_ID AMOUNT FRACTION POST PAID        A vendor bill of one line of AMOUNT/FRACTION,
#                                                        posted when POST is 1, then paid PAID/FRACTION
#   credit INVOICE_ID CN_ID AMOUNT FRACTION              A credit note CN_ID for the invoice's customer of one
#                                                        line of AMOUNT/FRACTION without tax, booked to the
#                                                        invoice's income account, posted to its receivables
#                                                        account and applied to the invoice (a lot link)
#   invoice NEW_ID INVOICE_ID AMOUNT FRACTION TABLE      An invoice NEW_ID for INVOICE_ID's customer of one line of
#                                                        AMOUNT/FRACTION taxed by the visible tax table TABLE,
#                                                        entered and posted by hand (as New Invoice, Post)
# delete-payment prints the GUID of the transaction it deleted.
import ctypes, sys
from datetime import datetime
from gnucash import Session, SessionOpenMode, GncNumeric, Account, Query
from gnucash.gnucash_business import Invoice, Vendor, Bill, Entry
from gnucash import gnucash_core_c as gc

path, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
s = Session("sqlite3://" + path, SessionOpenMode.SESSION_NORMAL_OPEN)
try:
    book = s.book
    root = book.get_root_account()

    def invoice(id):
        q = Query(); q.search_for('gncInvoice'); q.set_book(book)
        try:
            for r in q.run():
                i = Invoice(instance=r)
                if i.GetID() == id:
                    return i
        finally:
            q.destroy()
        raise SystemExit("no invoice " + id)

    def by_code(code):
        for a in root.get_descendants():
            if a.GetCode() == code:
                return a
        raise SystemExit("no account " + code)

    def account(name, typ, curr):
        a = root.lookup_by_name(name)
        if a:
            return a
        a = Account(book); a.BeginEdit(); a.SetName(name); a.SetType(typ); a.SetCommodity(curr)
        root.append_child(a); a.CommitEdit()
        return a

    def apply_with_lots(inv, lots):
        # gncOwnerAutoApplyPaymentsWithLots(owner, lots), what GnuCash's Process Payment runs on
        # the documents selected: with an invoice's lot and a credit note's lot, it writes the
        # lot-link transaction between them. Its GList argument has no Python binding, so the
        # engine's function is called through ctypes, on the session's own objects.
        lib = lambda name: next(l.split()[-1] for l in open("/proc/self/maps") if "/" + name in l)
        engine, glib = ctypes.CDLL(lib("libgnc-engine.so")), ctypes.CDLL(lib("libglib-2.0.so"))
        engine.gncInvoiceGetOwner.restype = ctypes.c_void_p
        engine.gncInvoiceGetOwner.argtypes = [ctypes.c_void_p]
        engine.gncOwnerAutoApplyPaymentsWithLots.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        glib.g_list_append.restype = ctypes.c_void_p
        glib.g_list_append.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        glib.g_list_free.argtypes = [ctypes.c_void_p]
        glist = None
        for l in lots:
            glist = glib.g_list_append(glist, int(l.instance))
        engine.gncOwnerAutoApplyPaymentsWithLots(engine.gncInvoiceGetOwner(int(inv.instance)), glist)
        glib.g_list_free(glist)

    if action == "pay":
        id, amount, fraction, date, num, bank = args
        inv = invoice(id)
        inv.ApplyPayment(None, by_code(bank), GncNumeric(int(amount), int(fraction)), GncNumeric(1, 1),
                         datetime.strptime(date, "%Y-%m-%d").replace(hour=10, minute=59), "paid in GnuCash", num)
    elif action == "unpost":
        inv = invoice(args[0])
        if not inv.Unpost(True):
            raise SystemExit("Unpost refused")
    elif action == "delete-payment":
        num = args[0]
        done = False
        for a in root.get_descendants():
            for sp in a.GetSplitList():
                t = sp.parent
                if not done and t.GetNum() == num and t.GetTxnType() == 'P':
                    print(t.GetGUID().to_string())
                    t.Destroy()
                    done = True
        if not done:
            raise SystemExit("no payment " + num)
    elif action == "bill":
        vname, id, amount, fraction, post, paid = args
        curr = book.get_table().lookup("ISO4217", by_code("1100").GetCommodity().get_mnemonic())
        ap = account("Accounts Payable", gc.ACCT_TYPE_PAYABLE, curr)
        exp = account("Office Expenses", gc.ACCT_TYPE_EXPENSE, curr)
        v = Vendor(book, "V-" + id, curr, vname)
        b = Bill(book, id, curr, v)
        b.SetDateOpened(datetime(2025, 4, 1, 10, 59))
        e = Entry(book)
        b.AddEntry(e)
        e.SetDescription("Paper"); e.SetQuantity(GncNumeric(1, 1))
        e.SetBillPrice(GncNumeric(int(amount), int(fraction))); e.SetBillAccount(exp); e.SetBillTaxable(False)
        if post == "1":
            b.PostToAccount(ap, datetime(2025, 4, 1, 10, 59), datetime(2025, 5, 1, 10, 59), "", True, False)
            if int(paid):
                # A payment to a vendor leaves the bank: its amount is negative.
                b.ApplyPayment(None, by_code("1010"), GncNumeric(-int(paid), int(fraction)), GncNumeric(1, 1),
                               datetime(2025, 4, 5, 10, 59), "", "CHQ-" + id)
    elif action == "credit":
        id, cn_id, amount, fraction = args
        inv = invoice(id)
        lot = inv.GetPostedLot()
        if not inv.IsPosted() or not lot:
            raise SystemExit("invoice " + id + " is not posted")
        customer = inv.GetOwner()
        income = next((e.GetInvAccount() for e in inv.GetEntries() if e.GetInvAccount()), None) \
            or root.lookup_by_full_name("Income:Sales")
        when = datetime.now().replace(microsecond=0)
        # New > Customer Credit Note: an invoice flagged as a credit note, whose quantities the
        # engine stores negated (SetDocQuantity with is_cn).
        cn = Invoice(book, cn_id, inv.GetCurrency(), customer)
        cn.SetIsCreditNote(True)
        cn.SetDateOpened(when)
        e = Entry(book)
        cn.AddEntry(e)
        e.SetDescription("Credit for " + id)
        e.SetDocQuantity(GncNumeric(1, 1), True)
        e.SetInvPrice(GncNumeric(int(amount), int(fraction))); e.SetInvAccount(income); e.SetInvTaxable(False)
        # Post to the invoice's receivables account without auto-applying (which picks the oldest
        # open document), then apply it to this invoice as Process Payment does for two chosen
        # documents: the engine links the two lots with a lot-link transaction.
        cn.PostToAccount(inv.GetPostedAcc(), when, when, "", True, False)
        apply_with_lots(inv, [lot, cn.GetPostedLot()])
    elif action == "invoice":
        new_id, id, amount, fraction, table = args
        inv = invoice(id)
        tt = book.TaxTableLookupByName(table)
        if not tt:
            raise SystemExit("no visible tax table " + table)
        when = datetime(2025, 4, 2, 10, 59)
        n = Invoice(book, new_id, inv.GetCurrency(), inv.GetOwner())
        n.SetDateOpened(when)
        e = Entry(book)
        n.AddEntry(e)
        e.SetDescription("By hand"); e.SetQuantity(GncNumeric(1, 1))
        e.SetInvPrice(GncNumeric(int(amount), int(fraction))); e.SetInvAccount(by_code("4000"))
        e.SetInvTaxable(True); e.SetInvTaxIncluded(False); e.SetInvTaxTable(tt)
        n.PostToAccount(inv.GetPostedAcc(), when, when, "", True, False)
    else:
        raise SystemExit("unknown action " + action)
    s.save()
finally:
    s.end()
