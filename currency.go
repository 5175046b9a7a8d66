package booksync

// CurrencyOfCountry is the currency books kept in a country use (ISO 4217 for an ISO 3166-1
// alpha-2 country): the country's own currency where booksync knows it, else USD.
func CurrencyOfCountry(country string) string {
	if c, ok := countryCurrency[country]; ok {
		return c
	}
	return "USD"
}

// BookCurrency is the currency the entity's books keep: the currency of its country.
func (e *Entity) BookCurrency() string {
	return CurrencyOfCountry(e.Address.Country)
}

var countryCurrency = map[string]string{
	"GB": "GBP", "US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "JP": "JPY", "CH": "CHF", "SE": "SEK",
	"NO": "NOK", "DK": "DKK", "PL": "PLN", "CZ": "CZK", "KW": "KWD", "BH": "BHD", "IE": "EUR", "DE": "EUR",
	"FR": "EUR", "ES": "EUR", "IT": "EUR", "NL": "EUR", "BE": "EUR", "AT": "EUR", "PT": "EUR", "FI": "EUR",
	"GR": "EUR", "LU": "EUR", "SK": "EUR", "SI": "EUR", "EE": "EUR", "LV": "EUR", "LT": "EUR", "MT": "EUR", "CY": "EUR",
	"HR": "EUR",
}
