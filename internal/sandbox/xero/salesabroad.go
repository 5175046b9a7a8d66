package xero

// The rates an organisation books its sales abroad with, seeded besides its national rates.

// ukECRates are the EC rates Xero seeds in UK organisations beside the national ones (Xero's help
// on UK default tax rates; TaxTypes and ReportTaxTypes from Xero's OpenAPI document): zero-rated
// sales of goods and of services to a business registered for VAT in an EU member state, which
// accounts for the VAT itself, and their purchase counterparts.
func ukECRates() []seedRate {
	return []seedRate{
		{"Zero Rated EC Goods Income", "ECZROUTPUT", "ECOUTPUT", "0", true, false},
		{"Zero Rated EC Services", "ECZROUTPUTSERVICES", "ECOUTPUTSERVICES", "0", true, false},
		{"Zero Rated EC Expenses", "ECZRINPUT", "ECACQUISITIONS", "0", false, true},
		{"Reverse Charge Expenses (20%)", "REVERSECHARGES", "REVERSECHARGES", "20", false, true},
	}
}

// euSaleRates are the 0% rates the user of a Global organisation in an EU member state adds for its
// sales abroad, as it adds its national rates (Xero seeds none there): sales to a business
// registered for VAT in another member state (reverse charge) and exports outside the EU. They
// follow the national rates, TAXnnn in order.
func euSaleRates() []addedRate {
	return []addedRate{vat("VAT 0% reverse charge (EU)", "0"), vat("VAT 0% export", "0")}
}

// salesAbroad returns the edition's rates for sales abroad: seeded ones, and ones its user added.
func salesAbroad(e edition) ([]seedRate, []addedRate) {
	switch {
	case e.Version == "UK":
		return ukECRates(), nil
	case e.Version == "GLOBAL" && e.Tax == "VAT":
		return nil, euSaleRates()
	}
	return nil, nil
}
