package webhooks

import (
	"context"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/secretbox"
	"github.com/booksync/booksync/internal/store"
	"github.com/google/uuid"
)

// Service manages a partner's webhook subscriptions and reads its events and deliveries. It
// embeds the store for the reads; the writes that involve a secret or a URL go through its own
// methods.
type Service struct {
	*store.Store
	box *secretbox.Box
	// PublicURL is booksync's own address: a subscription may not point at it.
	PublicURL string
	// AllowPrivate lets subscriptions name localhost and non-public addresses (Config.AllowPrivate).
	AllowPrivate bool
}

// NewService returns a service over st that seals secrets with key (32 bytes, the key that seals
// platform tokens).
func NewService(st *store.Store, key []byte, publicURL string) (*Service, error) {
	box, err := secretbox.New(key)
	if err != nil {
		return nil, err
	}
	return &Service{Store: st, box: box, PublicURL: publicURL}, nil
}

// CheckSubscription checks a subscription's URL, object type and event types, with EVALIDATION
// errors naming the field at fault.
func (s *Service) CheckSubscription(sub *booksync.WebhookSubscription) error {
	if err := booksync.CheckWebhookURL(sub.URL, s.PublicURL, s.AllowPrivate); err != nil {
		return err
	}
	return booksync.CheckEventTypes(sub.ObjectType, sub.EventTypes)
}

// CreateSubscription checks and stores a new enabled subscription of sub.PartnerID with a new
// secret, and returns it with the secret set (the only time it is shown, with RegenerateSecret).
func (s *Service) CreateSubscription(ctx context.Context, sub *booksync.WebhookSubscription) error {
	if err := s.CheckSubscription(sub); err != nil {
		return err
	}
	sub.ID = uuid.NewString()
	sub.Status = booksync.SubscriptionEnabled
	secret := NewSecret()
	if err := s.Store.CreateSubscription(ctx, sub, s.box.Seal([]byte(secret), secretContext(sub.ID))); err != nil {
		return err
	}
	sub.Secret = secret
	return nil
}

// UpdateSubscription checks and stores a changed subscription.
func (s *Service) UpdateSubscription(ctx context.Context, sub *booksync.WebhookSubscription) error {
	if err := s.CheckSubscription(sub); err != nil {
		return err
	}
	return s.Store.UpdateSubscription(ctx, sub)
}

// RegenerateSecret gives a subscription of the partner a new secret, which signs every webhook
// sent from now on (the old one stops at once), and returns the subscription with it.
func (s *Service) RegenerateSecret(ctx context.Context, partnerID, id string, at time.Time) (*booksync.WebhookSubscription, error) {
	sub, err := s.Subscription(ctx, partnerID, id)
	if err != nil {
		return nil, err
	}
	secret := NewSecret()
	if err := s.SetSubscriptionSecret(ctx, partnerID, id, s.box.Seal([]byte(secret), secretContext(id)), at); err != nil {
		return nil, err
	}
	sub.Secret = secret
	return sub, nil
}
