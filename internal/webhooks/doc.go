// Package webhooks sends booksync's events to the partners' webhook subscriptions, signed as
// Monite signs them, and manages the subscriptions' secrets.
//
// The store writes each event in the transaction of the change that causes it, with one delivery
// and one River job per subscription that wants it (store.AddEventTx). This package runs those
// jobs in their own River queue (store.WebhookQueue), so that a slow or dead receiver delays no
// sync and no other subscription: each attempt is one POST with a short timeout, recorded as it
// ends; one subscription takes at most a fifth of the workers (one while its receiver fails); a failed one is retried with exponential backoff and jitter; a subscription whose receiver
// has failed every attempt for Config.DisableAfter (four days by default) is disabled, with an
// event saying so. Delivery is at least once: a receiver deduplicates on the event's id.
package webhooks
