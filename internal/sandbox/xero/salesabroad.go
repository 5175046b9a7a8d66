package xero

// euSaleRates are the 0% rates the user of a Global organisation in an EU member state adds for its
// sales abroad, as it adds its national rates (Xero seeds none there): sales to a business
// registered for VAT in another member state, which accounts for the VAT itself (reverse charge),
// and exports outside the EU. They follow the national rates, TAXnnn in order. (UK organisations
// have Xero's own EC TaxTypes instead, ECZROUTPUT and ECZROUTPUTSERVICES, seeded with the UK
// edition's rates; a GB seller's sales to the EU are exports since 2021, booked as Zero Rated
// Income.)
func euSaleRates() []addedRate {
	return []addedRate{vat("VAT 0% reverse charge (EU)", "0"), vat("VAT 0% export", "0")}
}

// salesAbroad returns the rates the edition's user added for sales abroad.
func salesAbroad(e edition) []addedRate {
	if e.Version == "GLOBAL" && e.Tax == "VAT" {
		return euSaleRates()
	}
	return nil
}
