// Package dashboard serves booksync's dashboard at /dashboard/: the pages where the people who
// run booksync for a platform see every entity's connection and synced records, read an error's
// cause and fix, retry a push, compare an invoice with the books, and look at the job queue.
//
// The pages are server-rendered html/template with htmx (embedded from static/, reproduced by
// `npm ci && npm run build` there); they call the same services as the API: the store's reads,
// and the sync engine for connect, sync, push and the read-through of the books. Every id in a
// URL or a form is checked against the signed-in partner's entities, so another partner's entity,
// record or invoice answers 404.
//
// Pages and forms (the browser tests rely on these names):
//
//	GET  /dashboard/login                  form: client_id, client_secret ("Client ID", "Client secret"), button "Sign in"
//	POST /dashboard/login                  checks them as POST /auth/token does; 303 to /dashboard/ with a session
//	                                       cookie, or the form again with "Wrong client ID or secret" and 401
//	POST /dashboard/logout                 button "Sign out": ends the session, 303 to the sign-in page
//	GET  /dashboard/                       one card per entity: connection, last pull, next sync, counts, recent errors
//	GET  /dashboard/entities/{id}          the connection panel: "Connect Xero", "Connect QuickBooks", "Connect GnuCash",
//	                                       "Sync now", "Disconnect", "Reconnect"; data-testid="connection-status"
//	GET  /dashboard/entities/{id}/connection   the panel alone, polled every 2 s while something is under way
//	POST /dashboard/entities/{id}/connect  field platform: 303 to the consent page (connection_url); the OAuth
//	                                       callback then comes back to the entity's page
//	POST /dashboard/entities/{id}/connections/{cid}/sync|disconnect|reconnect   303 back to the entity's page
//	                                       (after sync, with ?sync_requested=<unix µs>: the panel then polls
//	                                       until the connection has pulled; a retry needs that pull when the
//	                                       fix was made in the books, such as a new tax rate)
//	GET  /dashboard/records                query status, object_type, platform, entity_id, since (a date or an
//	                                       RFC 3339 time), after/before (the Next and Previous links)
//	GET  /dashboard/records/{id}/row       one row alone, polled every 2 s while the record is pending
//	POST /dashboard/records/{id}/retry     button "Retry": the push of POST /accounting_synced_records/{id}/push;
//	                                       htmx gets the row back, a plain form a 303 to the list
//	POST /dashboard/records/retry          checkboxes record_id, button "Retry selected"; 303 to the list
//	GET  /dashboard/receivables/{id}       booksync's values next to the books' (rows with class diff and the
//	                                       word "differs"), its events and webhook deliveries
//	GET  /dashboard/jobs                   the queue's counts by state and a link to River UI (operators)
//	     /dashboard/jobs/                  River UI, behind the same sign-in, for operators only (404 to others)
//
// Sessions are random tokens in an HttpOnly, SameSite=Lax cookie (Secure when the public URL is
// https) that expire after SessionTTL; the store keeps only their hashes, beside the API's
// tokens, and signing out revokes them. Every POST carries a CSRF token (form field csrf, or the
// X-CSRF-Token header htmx sends from the body's hx-headers), an HMAC of the browser's CSRF
// cookie; a POST without it is refused with 403. Unauthenticated GETs go to the sign-in page.
package dashboard
