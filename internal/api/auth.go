package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/booksync/booksync"
)

type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) postToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := s.decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.GrantType != "client_credentials" {
		s.writeError(w, r, booksync.FieldErrorf("enum", []any{"body", "grant_type"},
			"booksync issues partner tokens only: grant_type must be 'client_credentials'."))
		return
	}
	if err := s.checkClient(r.Context(), req.ClientID, req.ClientSecret); err != nil {
		s.writeError(w, r, err)
		return
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := s.store.CreateToken(r.Context(), hashToken(token), req.ClientID, s.now().Add(booksync.AccessTokenTTL)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(booksync.AccessTokenTTL / time.Second)})
}

// checkClient verifies API client credentials. Unknown clients and wrong secrets get the same
// answer, so the response does not reveal which client ids exist.
func (s *Server) checkClient(ctx context.Context, id, secret string) error {
	bad := booksync.Errorf(booksync.EUNAUTHORIZED, "Wrong client_id or client_secret.")
	stored, err := s.store.PartnerSecretHash(ctx, id)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return bad
	} else if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(HashSecret(secret), stored) != 1 {
		return bad
	}
	return nil
}

// PartnerByCredentials returns the partner whose API client credentials these are, checked as
// POST /auth/token checks them; wrong ones give EUNAUTHORIZED. The sandbox login uses it.
func (s *Server) PartnerByCredentials(ctx context.Context, id, secret string) (string, error) {
	if err := s.checkClient(ctx, id, secret); err != nil {
		return "", err
	}
	return id, nil
}

// PartnerByToken returns the partner of a bearer token from POST /auth/token; an invalid,
// expired or revoked token gives EUNAUTHORIZED.
func (s *Server) PartnerByToken(ctx context.Context, token string) (string, error) {
	partnerID, err := s.store.TokenPartner(ctx, hashToken(token), s.now())
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return "", badToken()
	}
	return partnerID, err
}

// badToken is the answer to a bearer token that is not valid.
func badToken() error {
	return booksync.Errorf(booksync.EUNAUTHORIZED, "The bearer token is invalid, expired or revoked; get a new one from POST /auth/token.")
}

type revokeRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Token        string `json:"token"`
}

func (s *Server) postRevoke(w http.ResponseWriter, r *http.Request) {
	var req revokeRequest
	if err := s.decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkClient(r.Context(), req.ClientID, req.ClientSecret); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.RevokeToken(r.Context(), hashToken(req.Token), req.ClientID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Token revoked."})
}

// hashToken returns the stored form of an access token: tokens are kept only as their SHA-256.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// HashSecret returns the stored form of a partner's client secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
