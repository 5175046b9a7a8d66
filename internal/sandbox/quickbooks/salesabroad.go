package quickbooks

// ecCodes are the UK edition's 0% codes for sales to a business registered for VAT in another EU
// member state, which accounts for the VAT itself (reverse charge): goods and services apart, as
// the VAT return reports them (names as integrators of the UK edition list them, "0.0% ECG" and
// "0.0% ECS"). The sandbox's companies in EU member states, whose codes follow the UK edition's
// pattern, have them too.
func ecCodes() []seedCode {
	return []seedCode{
		{"0.0% ECG", "0.0% ECG", "0", "EC goods, reverse charge"},
		{"0.0% ECS", "0.0% ECS", "0", "EC services, reverse charge"},
	}
}
