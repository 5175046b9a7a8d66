package booksync

import "time"

// Partner is a platform that uses booksync through API client credentials. A partner sees only the
// entities it created.
type Partner struct {
	ID        string    // the API client id
	Name      string    // for operators; not shown through the API
	CreatedAt time.Time // when the client was created
}

// AccessTokenTTL is how long a bearer token from POST /auth/token stays valid, as in Monite.
const AccessTokenTTL = 30 * time.Minute
