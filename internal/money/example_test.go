package money_test

import (
	"fmt"

	"github.com/booksync/booksync/internal/money"
	"github.com/shopspring/decimal"
)

func ExampleCompute() {
	// Two hours at 80.00 plus 20% VAT and one 0% line, with 10% off the
	// invoice.
	tot, err := money.Compute(money.Invoice{
		Mode: money.VATExclusive,
		Lines: []money.Line{
			{Quantity: decimal.RequireFromString("2"), UnitPrice: 8000, TaxRate: 2000},
			{Quantity: decimal.RequireFromString("1"), UnitPrice: 1500, TaxRate: 0},
		},
		Discount: &money.Discount{Type: money.DiscountPercentage, Amount: 1000},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subtotal", money.FormatMinor(tot.Subtotal, "GBP"))
	fmt.Println("discount", money.FormatMinor(tot.DiscountValue, "GBP"))
	for _, g := range tot.VATGroups {
		// Rates are percent minor units, which read like an amount with two
		// decimals.
		fmt.Printf("VAT %s%% on %s: %s\n", money.FormatMinor(g.Rate, "USD"),
			money.FormatMinor(g.TaxableAmount, "GBP"), money.FormatMinor(g.Amount, "GBP"))
	}
	fmt.Println("total", money.FormatMinor(tot.TotalAmount, "GBP"))
	// Output:
	// subtotal 175.00
	// discount 17.50
	// VAT 20.00% on 144.00: 28.80
	// VAT 0.00% on 13.50: 0.00
	// total 186.30
}

func ExampleParseMajor() {
	yen, _ := money.ParseMajor("1234", "JPY")
	fils, _ := money.ParseMajor("1.234", "KWD")
	_, err := money.ParseMajor("12.345", "GBP")
	fmt.Println(yen, fils)
	fmt.Println(err)
	// Output:
	// 1234 1234
	// money: "12.345" has more than 2 decimal places, the most GBP allows
}
