// Package secretbox seals platform tokens at rest with AES-256-GCM under booksync's secret key
// (BOOKSYNC_SECRET_KEY), so that a copy of the database alone does not give access to anyone's
// books.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
}

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secretbox: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext, binding it to context (such as the connection id) so that a sealed value
// copied to another row does not open there. The result is base64 text.
func (b *Box) Seal(plaintext []byte, context string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawStdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plaintext, []byte(context)))
}

// Open decrypts a value Seal returned for the same context.
func (b *Box) Open(sealed, context string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	n := b.aead.NonceSize()
	if len(raw) < n {
		return nil, errors.New("secretbox: sealed value too short")
	}
	out, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return nil, errors.New("secretbox: cannot open sealed value (wrong BOOKSYNC_SECRET_KEY, or tampered data)")
	}
	return out, nil
}
