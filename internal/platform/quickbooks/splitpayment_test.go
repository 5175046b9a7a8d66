package quickbooks

import "testing"

// TestPaymentOfOneInvoiceOnTwoLinesIsOnePart: a QuickBooks payment whose two lines pay the same
// invoice is one part of 30.00, not two of which booksync would keep one.
func TestPaymentOfOneInvoiceOnTwoLinesIsOnePart(t *testing.T) {
	p := wirePayment{Id: "7", TotalAmt: "50.00", Line: []wireLine{
		{Amount: "10.00", LinkedTxn: []wireLinkedTxn{{TxnId: "1", TxnType: "Invoice"}}},
		{Amount: "20.00", LinkedTxn: []wireLinkedTxn{{TxnId: "1", TxnType: "Invoice"}}},
		{Amount: "20.00", LinkedTxn: []wireLinkedTxn{{TxnId: "2", TxnType: "Invoice"}}},
	}}
	parts, err := splitPayment(p, "GBP")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0] != (paymentPart{invoiceID: "1", cash: 3000}) || parts[1] != (paymentPart{invoiceID: "2", cash: 2000}) {
		t.Fatalf("parts %+v", parts)
	}
}
