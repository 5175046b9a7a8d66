package api

import (
	"context"
	"net/http"
	"time"

	"github.com/booksync/booksync"
)

// Webhooks is what the webhook and event operations need: internal/webhooks' Service implements
// it over the store. Subscriptions are the partner's; events and deliveries are read per entity,
// and GET /events/{id} for any of the partner's entities.
type Webhooks interface {
	// CreateSubscription checks and stores a new enabled subscription and sets its ID and Secret.
	CreateSubscription(ctx context.Context, sub *booksync.WebhookSubscription) error
	// Subscription returns a subscription of the partner, or ENOTFOUND.
	Subscription(ctx context.Context, partnerID, id string) (*booksync.WebhookSubscription, error)
	// Subscriptions lists the partner's subscriptions.
	Subscriptions(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.WebhookSubscription], error)
	// UpdateSubscription checks and stores a changed subscription (enabling it forgets its failures).
	UpdateSubscription(ctx context.Context, sub *booksync.WebhookSubscription) error
	// DeleteSubscription deletes a subscription of the partner, or answers ENOTFOUND.
	DeleteSubscription(ctx context.Context, partnerID, id string) error
	// RegenerateSecret gives a subscription a new secret and returns it with the secret set.
	RegenerateSecret(ctx context.Context, partnerID, id string, at time.Time) (*booksync.WebhookSubscription, error)
	// Event returns an event of one of the partner's entities, or ENOTFOUND.
	Event(ctx context.Context, partnerID, id string) (*booksync.Event, error)
	// Events lists the entity's events.
	Events(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Event], error)
	// Deliveries lists the deliveries of the entity's events.
	Deliveries(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.WebhookDelivery], error)
}

// webhooks returns the server's Webhooks, or a 404 when it has none.
func (s *Server) webhooks() (Webhooks, error) {
	if s.Webhooks == nil {
		return nil, booksync.Errorf(booksync.ENOTFOUND, "This booksync serves no webhooks.")
	}
	return s.Webhooks, nil
}

type subscriptionInput struct {
	ObjectType *string   `json:"object_type"`
	EventTypes *[]string `json:"event_types"`
	URL        *string   `json:"url"`
}

func (in *subscriptionInput) apply(sub *booksync.WebhookSubscription) {
	if in.ObjectType != nil {
		sub.ObjectType = *in.ObjectType
	}
	if in.EventTypes != nil {
		sub.EventTypes = *in.EventTypes
	}
	if in.URL != nil {
		sub.URL = *in.URL
	}
}

func (s *Server) postSubscription(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhooks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in subscriptionInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	sub := &booksync.WebhookSubscription{PartnerID: partnerID(r), EventTypes: []string{}, CreatedAt: now, UpdatedAt: now}
	in.apply(sub)
	if err := hooks.CreateSubscription(r.Context(), sub); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sub)
}

func (s *Server) subscriptionFromPath(r *http.Request) (Webhooks, *booksync.WebhookSubscription, error) {
	hooks, err := s.webhooks()
	if err != nil {
		return nil, nil, err
	}
	id, err := pathID(r, "webhook_subscription_id", "WebhookSubscription")
	if err != nil {
		return nil, nil, err
	}
	sub, err := hooks.Subscription(r.Context(), partnerID(r), id)
	return hooks, sub, err
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	_, sub, err := s.subscriptionFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) patchSubscription(w http.ResponseWriter, r *http.Request) {
	hooks, sub, err := s.subscriptionFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in subscriptionInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	in.apply(sub)
	sub.UpdatedAt = s.now()
	if err := hooks.UpdateSubscription(r.Context(), sub); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	hooks, sub, err := s.subscriptionFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := hooks.DeleteSubscription(r.Context(), sub.PartnerID, sub.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) enableSubscription(w http.ResponseWriter, r *http.Request) {
	s.setSubscriptionStatus(w, r, booksync.SubscriptionEnabled)
}

func (s *Server) disableSubscription(w http.ResponseWriter, r *http.Request) {
	s.setSubscriptionStatus(w, r, booksync.SubscriptionDisabled)
}

// setSubscriptionStatus enables or disables a subscription. Enabling it forgets its receiver's
// failures; the events it missed meanwhile are in GET /events.
func (s *Server) setSubscriptionStatus(w http.ResponseWriter, r *http.Request, status string) {
	hooks, sub, err := s.subscriptionFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sub.Status != status {
		sub.Status, sub.UpdatedAt = status, s.now()
		if err := hooks.UpdateSubscription(r.Context(), sub); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) regenerateSecret(w http.ResponseWriter, r *http.Request) {
	hooks, sub, err := s.subscriptionFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sub, err = hooks.RegenerateSecret(r.Context(), sub.PartnerID, sub.ID, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhooks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := s.parseList(r, booksync.WebhookSubscriptionList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := hooks.Subscriptions(r.Context(), partnerID(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhooks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := s.parseList(r, booksync.EventList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := hooks.Events(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhooks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := pathID(r, "event_id", "Event")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ev, err := hooks.Event(r.Context(), partnerID(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ev)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhooks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := s.parseList(r, booksync.WebhookDeliveryList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := hooks.Deliveries(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}
