package booksync

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// An Event tells a platform that something happened to an object of one of its entities: an invoice
// was issued, pushed to the books or failed there, a connection was lost. Events are written in the
// same transaction as the change that causes them (an outbox), so that no change goes without its
// event and no event without its change, and each is delivered to the partner's webhook
// subscriptions for its object type (see WebhookSubscription). The JSON is Monite's EventResource;
// a webhook's body adds the subscription's id.
type Event struct {
	ID string `json:"id"`
	// CreatedAt is the time of the transaction that caused the event.
	CreatedAt time.Time `json:"created_at"`
	// Action is the object type and the event type joined by a dot: "receivable.issued".
	Action     string `json:"action"`
	APIVersion string `json:"api_version"`
	// Description says what happened in a sentence.
	Description string `json:"description"`
	EntityID    string `json:"entity_id"`
	ObjectType  string `json:"object_type"`
	// ObjectID is the id of the object the event is about (Monite's guide names it; receivers
	// fetch the object by it).
	ObjectID string `json:"object_id"`
	// Object is the object as the API returns it at the time of the event, or a summary of what
	// happened to it (a synced record's outcome, a sync's counts), as encoding/json writes it: the
	// store writes it into the event's JSON as it is, and refuses an object that is not JSON.
	Object json.RawMessage `json:"object"`
}

// Type returns the event type, the part of Action after the object type: "issued".
func (e Event) Type() string {
	return strings.TrimPrefix(e.Action, e.ObjectType+".")
}

// NewEvent returns an event of the entity about an object, with the object encoded as its JSON.
// The store fills the id, time and API version when it writes the event.
func NewEvent(entityID, objectType, eventType, objectID string, object any, description string) (Event, error) {
	b, err := json.Marshal(object)
	if err != nil {
		return Event{}, fmt.Errorf("booksync: encode %s event: %w", objectType, err)
	}
	return NewEventJSON(entityID, objectType, eventType, objectID, b, description), nil
}

// NewEventJSON is NewEvent with the object already encoded, as encoding/json encodes it.
func NewEventJSON(entityID, objectType, eventType, objectID string, object json.RawMessage, description string) Event {
	return Event{EntityID: entityID, ObjectType: objectType, Action: objectType + "." + eventType,
		ObjectID: objectID, Object: object, Description: description}
}

// Webhook object types: the values of Monite's WebhookObjectType that booksync writes events for.
const (
	EventObjectConnection      = "accounting_connection"
	EventObjectReceivable      = "receivable"
	EventObjectPayment         = "payment"
	EventObjectCounterpart     = "counterpart"
	EventObjectProduct         = "product"
	EventObjectPartnerSettings = "partner_settings"
)

// Event types, the part of an event's action after its object type. Monite's names where Monite
// has them (created, updated, connected, disconnected, deauthorized, issued, canceled, paid,
// partially_paid); booksync's own additions are named in the same way and listed in
// docs/webhooks.md.
const (
	EventCreated       = "created"
	EventUpdated       = "updated"
	EventDeleted       = "deleted"
	EventConnected     = "connected"
	EventDisconnected  = "disconnected"
	EventDeauthorized  = "deauthorized"
	EventSyncFinished  = "sync_finished"
	EventSyncFailed    = "sync_failed"
	EventIssued        = "issued"
	EventCanceled      = "canceled"
	EventPaid          = "paid"
	EventPartiallyPaid = "partially_paid"
	// EventUncollectible: the invoice was marked uncollectible.
	EventUncollectible = "uncollectible"
	// EventAccountingPulled: a payment made in the entity's books came back from them.
	EventAccountingPulled = "accounting_pulled"
	// EventAccountingPushed and EventAccountingFailed are the outcome of a push of the object to
	// the entity's books: its synced record, with the error's status, message and fix on failure.
	EventAccountingPushed = "accounting_pushed"
	EventAccountingFailed = "accounting_failed"
	// EventSubscriptionDisabled is written when booksync disables a webhook subscription whose
	// receiver kept failing.
	EventSubscriptionDisabled = "webhook_subscription_disabled"
)

// EventTypes lists, per object type, the event types booksync writes; a subscription's
// event_types must be among them.
var EventTypes = map[string][]string{
	EventObjectConnection: {EventCreated, EventConnected, EventDisconnected, EventDeauthorized,
		EventSyncFinished, EventSyncFailed},
	EventObjectReceivable: {EventCreated, EventUpdated, EventIssued, EventCanceled, EventPaid, EventPartiallyPaid,
		EventUncollectible, EventAccountingPushed, EventAccountingFailed},
	EventObjectPayment:         {EventCreated, EventCanceled, EventAccountingPulled, EventAccountingPushed, EventAccountingFailed},
	EventObjectCounterpart:     {EventCreated, EventUpdated, EventDeleted},
	EventObjectProduct:         {EventCreated, EventUpdated, EventDeleted},
	EventObjectPartnerSettings: {EventSubscriptionDisabled},
}

// Webhook subscription statuses (Monite's WebhookSubscriptionStatus).
const (
	SubscriptionEnabled  = "enabled"
	SubscriptionDisabled = "disabled"
)

// WebhookSubscription asks booksync to send a partner's events of one object type to a URL. Its
// secret signs every webhook; the store keeps it sealed, and the API shows it only when it is
// created or regenerated.
type WebhookSubscription struct {
	ID        string `json:"id"`
	PartnerID string `json:"-"`
	// ObjectType is a webhook object type, such as "receivable".
	ObjectType string `json:"object_type"`
	// EventTypes are the event types sent; empty means every event of the object type.
	EventTypes []string `json:"event_types"`
	URL        string   `json:"url"`
	Status     string   `json:"status"`
	// Secret is set only when it was just created or regenerated.
	Secret string `json:"secret,omitempty"`
	// FailingSince is when the receiver began to fail: the first failed attempt since its last
	// success. A subscription failing for long enough is disabled.
	FailingSince *time.Time `json:"-"`
	CreatedAt    time.Time  `json:"-"`
	UpdatedAt    time.Time  `json:"-"`
}

// Wants reports whether the subscription sends an event of this object type and action.
func (s WebhookSubscription) Wants(objectType, eventType string) bool {
	if s.Status != SubscriptionEnabled || s.ObjectType != objectType {
		return false
	}
	return len(s.EventTypes) == 0 || slices.Contains(s.EventTypes, eventType)
}

// CheckWebhookURL checks a subscription's URL: an absolute http or https URL with a host, and not
// one of booksync's own (publicURL), which would send booksync's webhooks to itself. Unless
// allowPrivate, its host must not be localhost or a non-public IP address (PublicAddress): a
// partner must not make booksync call into the network it runs in. A name that resolves to such an
// address is refused when an attempt connects. It returns an EVALIDATION error naming the url field.
func CheckWebhookURL(raw, publicURL string, allowPrivate bool) error {
	loc := []any{"body", "url"}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return FieldErrorf("url_scheme", loc, "URL scheme should be 'http' or 'https', with a host: %q.", raw)
	}
	if u.User != nil {
		return FieldErrorf("url_parsing", loc, "The webhook URL must not carry a user name or password.")
	}
	if publicURL != "" {
		if own, err := url.Parse(publicURL); err == nil && own.Host != "" && sameHost(u, own) {
			return FieldErrorf("value_error", loc, "The webhook URL points at booksync itself (%s); give the URL of your own receiver.", own.Host)
		}
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return FieldErrorf("value_error", loc, "The webhook URL points at this machine (%s); booksync delivers webhooks to public addresses only.", u.Hostname())
	}
	if ip, err := netip.ParseAddr(host); err == nil && !PublicAddress(ip) {
		return FieldErrorf("value_error", loc, "The webhook URL's address %s is not a public one (loopback, private, link-local or reserved); booksync delivers webhooks to public addresses only.", ip)
	}
	return nil
}

// PublicAddress reports whether ip is an address on the public internet: not loopback, private
// (RFC 1918, unique local), shared (100.64.0.0/10), link-local (cloud metadata services live at
// 169.254.169.254), unspecified or multicast.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// reservedPrefixes are ranges that are neither private nor public: shared address space for
// carrier-grade NAT, "this network", and IPv4 addresses mapped into IPv6 translation prefixes.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("64:ff9b::/96"),
}

func sameHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// CheckEventTypes checks a subscription's object type and event types against what booksync
// writes, with EVALIDATION errors naming the field.
func CheckEventTypes(objectType string, eventTypes []string) error {
	known, ok := EventTypes[objectType]
	if !ok {
		var types []string
		for t := range EventTypes {
			types = append(types, t)
		}
		slices.Sort(types)
		return FieldErrorf("enum", []any{"body", "object_type"},
			"booksync writes no events for object type %q; it writes them for %s.", objectType, strings.Join(types, ", "))
	}
	for i, t := range eventTypes {
		if !slices.Contains(known, t) {
			return FieldErrorf("enum", []any{"body", "event_types", i},
				"%q is not an event type of %s; its event types are %s.", t, objectType, strings.Join(known, ", "))
		}
	}
	return nil
}

// WebhookDelivery is the delivery of one event to one subscription: how many requests were made,
// and the last one's status code, response and outcome (Monite's WebhookDeliveryResource).
type WebhookDelivery struct {
	ID             string `json:"id"`
	EventID        string `json:"event_id"`
	SubscriptionID string `json:"-"`
	EntityID       string `json:"-"`
	ObjectType     string `json:"-"`
	EventAction    string `json:"-"`
	URL            string `json:"url"`
	// RequestsMadeCount counts the attempts, each recorded as it ends.
	RequestsMadeCount  int     `json:"requests_made_count"`
	Response           *string `json:"response"`
	ResponseStatusCode *int    `json:"response_status_code"`
	// WasSuccessful is nil until the first attempt ends, then whether the last one succeeded.
	WasSuccessful *bool     `json:"was_successful"`
	CreatedAt     time.Time `json:"-"`
	UpdatedAt     time.Time `json:"-"`
}

// EventList is what GET /events filters and sorts by.
var EventList = ListSpec{
	Fields:      map[string]FieldKind{"object_type": KindEnum, "created_at": KindTime, "updated_at": KindTime},
	Ops:         map[string][]FilterOp{"object_type": {OpEq}, "created_at": ranges},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "created_at",
}

// WebhookSubscriptionList is what GET /webhook_subscriptions filters and sorts by.
var WebhookSubscriptionList = ListSpec{
	Fields:      map[string]FieldKind{"object_type": KindEnum, "created_at": KindTime, "updated_at": KindTime},
	Ops:         map[string][]FilterOp{"object_type": {OpEq}, "created_at": ranges},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "created_at",
}

// WebhookDeliveryList is what GET /webhook_deliveries filters and sorts by.
var WebhookDeliveryList = ListSpec{
	Fields: map[string]FieldKind{"event_id": KindUUID, "object_type": KindEnum, "event_action": KindString,
		"created_at": KindTime, "updated_at": KindTime},
	Ops: map[string][]FilterOp{"event_id": {OpEq}, "object_type": {OpEq}, "event_action": {OpEq},
		"created_at": ranges},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "created_at",
}

// ReceivableEvent returns the event of a change of an invoice or a credit note: eventType, with
// the document as it is now.
func ReceivableEvent(r *Receivable, eventType string, at time.Time) (Event, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return Event{}, fmt.Errorf("booksync: encode %s event: %w", EventObjectReceivable, err)
	}
	return ReceivableEventJSON(r, eventType, at, b), nil
}

// ReceivableEventJSON is ReceivableEvent with the document already encoded (object) as the API
// encodes it: the store, which encodes a document to write it, passes on that encoding.
func ReceivableEventJSON(r *Receivable, eventType string, at time.Time, object json.RawMessage) Event {
	doc, what := r.ID, "Invoice"
	if r.DocumentID != nil && *r.DocumentID != "" {
		doc = *r.DocumentID
	}
	if r.IsCreditNote() {
		what = "Credit note"
	}
	ev := NewEventJSON(r.EntityID, EventObjectReceivable, eventType, r.ID, object, fmt.Sprintf("%s %s is %s.", what, doc, r.Status))
	ev.CreatedAt = at
	return ev
}

// ReceivableChangeEvent returns the event of an invoice whose amounts changed while its status
// went from before to its status now: paid or partially_paid when it became so, and updated
// otherwise (a payment canceled, a credit applied).
func ReceivableChangeEvent(r *Receivable, before string, at time.Time) (Event, error) {
	eventType := EventUpdated
	if r.Status != before {
		switch r.Status {
		case StatusPaid:
			eventType = EventPaid
		case StatusPartiallyPaid:
			eventType = EventPartiallyPaid
		case StatusCanceled:
			eventType = EventCanceled
		}
	}
	return ReceivableEvent(r, eventType, at)
}

// PaymentEvent returns the event of a change of a payment record: eventType, with the record as it
// is now.
func PaymentEvent(p *PaymentRecord, eventType string, at time.Time) (Event, error) {
	var desc string
	switch eventType {
	case EventCanceled:
		desc = fmt.Sprintf("The payment of %d (minor units, %s) of invoice %s was canceled.", p.Amount, p.Currency, p.Object.ID)
	case EventAccountingPulled:
		desc = fmt.Sprintf("A payment of %d (minor units, %s) of invoice %s was made in the accounting system (payment %s there).", p.Amount, p.Currency, p.Object.ID, p.LedgerID)
	default:
		desc = fmt.Sprintf("A payment of %d (minor units, %s) was recorded for invoice %s.", p.Amount, p.Currency, p.Object.ID)
	}
	ev, err := NewEvent(p.EntityID, EventObjectPayment, eventType, p.ID, p, desc)
	ev.CreatedAt = at
	return ev, err
}
