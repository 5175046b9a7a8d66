package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "Monite-Signature"

// Sign returns the Monite-Signature header value of a webhook body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256>", the HMAC keyed with the subscription's secret (the
// whole string, whsec_ prefix included) over the timestamp, a ".", and the raw body.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// NewSecret returns a new signing secret: "whsec_" and 32 random bytes in URL-safe base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// secretContext binds a sealed secret to its subscription, so that a sealed value copied to
// another row does not open.
func secretContext(subscriptionID string) string { return "webhook_subscription:" + subscriptionID }
