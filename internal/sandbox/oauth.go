package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
)

// RandomToken returns an unguessable token for an authorisation code, access or refresh token.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ClientCredentials reads HTTP Basic or form client credentials from a token or revoke request
// whose form is parsed. Any id and secret pair is accepted; the id must still match the one the
// code or refresh token was issued to.
func ClientCredentials(r *http.Request) (id string, ok bool) {
	if u, p, basic := r.BasicAuth(); basic {
		return u, u != "" && p != ""
	}
	id = r.PostForm.Get("client_id")
	return id, id != "" && r.PostForm.Get("client_secret") != ""
}

// HashKey shortens an idempotency scope (its parts joined) into a Store key.
func HashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}
