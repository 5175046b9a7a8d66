// Package sandbox is the framework of booksync's built-in imitations of accounting systems
// (xero, quickbooks). Each speaks its platform's real OAuth flow and API over HTTP, so booksync's
// real connectors can be tested and demoed without an account; booksync mounts them under
// /sandbox/<platform>/.
//
// What the imitations share lives here, once: a [Server] holds a sandbox's lock and clock, its
// OAuth 2 authorization server (consent, code exchange, refresh, revocation, grants per
// organisation), the state it persists through a [Store], and the wrapper around every API call
// ([Server.ServeAPI]: armed [Fault]s, rate-limit admission, idempotency replay, and saving each
// call's change whole); money in their JSON is an [Amount]. Their web pages and fault injection
// sit behind one [Gate]: a login with the partner's booksync credentials that shows each partner
// only the organisations its entities connected. Each platform's package keeps what differs: its
// paths, wire shapes and wording ([OAuthConfig], [APIHooks]), its API objects, validation,
// computing and pages.
package sandbox
