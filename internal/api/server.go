package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/apispec"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/metrics"
	"github.com/booksync/booksync/internal/store"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is answered with 413.
const MaxBodyBytes = 1 << 20

// Server serves the API. Create it with NewServer.
type Server struct {
	store      Store
	invoices   *invoicing.Service
	accounting Accounting
	validator  *apispec.Validator
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// Logger receives request failures; nil means slog.Default().
	Logger *slog.Logger
	// Metrics counts requests by operation and status; nil counts nothing.
	Metrics *metrics.Metrics
	// Webhooks manages webhook subscriptions and reads events and deliveries; nil answers those
	// operations with 404.
	Webhooks Webhooks
	mux      *http.ServeMux
}

// NewServer returns a server over the store, the invoicing service (which issues and cancels
// invoices and records payments) and the sync engine, with every route registered. accounting may
// be nil in a server that only manages invoices; its accounting calls then fail.
func NewServer(store Store, invoices *invoicing.Service, accounting Accounting) (*Server, error) {
	v, err := apispec.NewValidator()
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, invoices: invoices, accounting: accounting, validator: v, Now: time.Now, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Route is one registered API operation.
type Route struct {
	Method, Path, OperationID string
}

// routeTable lists every API operation, the handler that serves it, and whether it needs a bearer
// token and an x-monite-entity-id header. It is checked against the OpenAPI document by a test.
func (s *Server) routeTable() []struct {
	Route
	auth, entity bool
	h            http.HandlerFunc
} {
	type row = struct {
		Route
		auth, entity bool
		h            http.HandlerFunc
	}
	r := func(method, path, op string, auth, entity bool, h http.HandlerFunc) row {
		return row{Route{method, path, op}, auth, entity, h}
	}
	return []row{
		r("POST", "/auth/token", "post_auth_token", false, false, s.postToken),
		r("POST", "/auth/revoke", "post_auth_revoke", false, false, s.postRevoke),

		r("POST", "/entities", "post_entities", true, false, s.postEntity),
		r("GET", "/entities", "get_entities", true, false, s.listEntities),
		r("GET", "/entities/{entity_id}", "get_entities_id", true, false, s.getEntity),
		r("PATCH", "/entities/{entity_id}", "patch_entities_id", true, false, s.patchEntity),
		r("GET", "/entities/{entity_id}/settings", "get_entities_id_settings", true, false, s.getSettings),
		r("PATCH", "/entities/{entity_id}/settings", "patch_entities_id_settings", true, false, s.patchSettings),
		r("GET", "/entities/{entity_id}/vat_ids", "get_entities_id_vat_ids", true, false, s.listVatIDs),
		r("POST", "/entities/{entity_id}/vat_ids", "post_entities_id_vat_ids", true, false, s.postVatID),
		r("GET", "/entities/{entity_id}/vat_ids/{id}", "get_entities_id_vat_ids_id", true, false, s.getVatID),
		r("PATCH", "/entities/{entity_id}/vat_ids/{id}", "patch_entities_id_vat_ids_id", true, false, s.patchVatID),
		r("DELETE", "/entities/{entity_id}/vat_ids/{id}", "delete_entities_id_vat_ids_id", true, false, s.deleteVatID),

		r("POST", "/counterparts", "post_counterparts", true, true, s.postCounterpart),
		r("GET", "/counterparts", "get_counterparts", true, true, s.listCounterparts),
		r("GET", "/counterparts/{counterpart_id}", "get_counterparts_id", true, true, s.getCounterpart),
		r("PATCH", "/counterparts/{counterpart_id}", "patch_counterparts_id", true, true, s.patchCounterpart),
		r("DELETE", "/counterparts/{counterpart_id}", "delete_counterparts_id", true, true, s.deleteCounterpart),
		r("GET", "/counterparts/{counterpart_id}/addresses", "get_counterparts_id_addresses", true, true, s.listCounterpartAddresses),
		r("POST", "/counterparts/{counterpart_id}/addresses", "post_counterparts_id_addresses", true, true, s.postCounterpartAddress),
		r("GET", "/counterparts/{counterpart_id}/vat_ids", "get_counterparts_id_vat_ids", true, true, s.listVatIDs),
		r("POST", "/counterparts/{counterpart_id}/vat_ids", "post_counterparts_id_vat_ids", true, true, s.postVatID),
		r("GET", "/counterparts/{counterpart_id}/vat_ids/{vat_id}", "get_counterparts_id_vat_ids_id", true, true, s.getVatID),
		r("PATCH", "/counterparts/{counterpart_id}/vat_ids/{vat_id}", "patch_counterparts_id_vat_ids_id", true, true, s.patchVatID),
		r("DELETE", "/counterparts/{counterpart_id}/vat_ids/{vat_id}", "delete_counterparts_id_vat_ids_id", true, true, s.deleteVatID),
		r("GET", "/vat_rates", "get_vat_rates", true, true, s.listVatRates),

		r("POST", "/products", "post_products", true, true, s.postProduct),
		r("GET", "/products", "get_products", true, true, s.listProducts),
		r("GET", "/products/{product_id}", "get_products_id", true, true, s.getProduct),
		r("PATCH", "/products/{product_id}", "patch_products_id", true, true, s.patchProduct),
		r("DELETE", "/products/{product_id}", "delete_products_id", true, true, s.deleteProduct),

		r("POST", "/receivables", "post_receivables", true, true, s.postReceivable),
		r("GET", "/receivables", "get_receivables", true, true, s.listReceivables),
		r("GET", "/receivables/{receivable_id}", "get_receivables_id", true, true, s.getReceivable),
		r("PATCH", "/receivables/{receivable_id}", "patch_receivables_id", true, true, s.patchReceivable),
		r("DELETE", "/receivables/{receivable_id}", "delete_receivables_id", true, true, s.deleteReceivable),
		r("PUT", "/receivables/{receivable_id}/line_items", "put_receivables_id_line_items", true, true, s.putLineItems),
		r("POST", "/receivables/{receivable_id}/issue", "post_receivables_id_issue", true, true, s.issueReceivable),
		r("POST", "/receivables/{receivable_id}/cancel", "post_receivables_id_cancel", true, true, s.cancelReceivable),
		r("POST", "/receivables/{receivable_id}/mark_as_paid", "post_receivables_id_mark_as_paid", true, true, s.markAsPaid),
		r("POST", "/receivables/{receivable_id}/mark_as_partially_paid", "post_receivables_id_mark_as_partially_paid", true, true, s.markAsPartiallyPaid),
		r("POST", "/receivables/{receivable_id}/mark_as_uncollectible", "post_receivables_id_mark_as_uncollectible", true, true, s.markAsUncollectible),

		r("POST", "/payment_records", "post_payment_records", true, true, s.postPaymentRecord),
		r("GET", "/payment_records", "get_payment_records", true, true, s.listPaymentRecords),
		r("GET", "/payment_records/{payment_record_id}", "get_payment_records_id", true, true, s.getPaymentRecord),
		r("POST", "/payment_records/{payment_record_id}/cancel", "post_payment_records_id_cancel", true, true, s.cancelPaymentRecord),

		r("GET", "/accounting_connections", "get_accounting_connections", true, true, s.listConnections),
		r("POST", "/accounting_connections", "post_accounting_connections", true, true, s.postConnection),
		r("GET", "/accounting_connections/{connection_id}", "get_accounting_connections_id", true, true, s.getConnection),
		r("POST", "/accounting_connections/{connection_id}/disconnect", "post_accounting_connections_id_disconnect", true, true, s.disconnect),
		r("POST", "/accounting_connections/{connection_id}/sync", "post_accounting_connections_id_sync", true, true, s.syncConnection),
		r("GET", "/accounting_synced_records", "get_accounting_synced_records", true, true, s.listSyncedRecords),
		r("GET", "/accounting_synced_records/{synced_record_id}", "get_accounting_synced_records_id", true, true, s.getSyncedRecord),
		r("POST", "/accounting_synced_records/{synced_record_id}/push", "post_accounting_synced_records_id_push", true, true, s.pushSyncedRecord),
		r("GET", "/accounting_tax_rates", "get_accounting_tax_rates", true, true, s.listTaxRates),
		r("GET", "/accounting_tax_rates/{tax_rate_id}", "get_accounting_tax_rates_id", true, true, s.getTaxRate),
		r("GET", "/ledger_accounts", "get_ledger_accounts", true, true, s.listLedgerAccounts),
		r("GET", "/ledger_accounts/{ledger_account_id}", "get_ledger_accounts_id", true, true, s.getLedgerAccount),
		r("GET", "/accounting/receivables", "get_accounting_receivables", true, true, s.listAccountingReceivables),
		r("GET", "/accounting/receivables/{invoice_id}", "get_accounting_receivables_id", true, true, s.getAccountingReceivable),
		r("GET", "/accounting/payables", "get_accounting_payables", true, true, s.listAccountingPayables),
		r("GET", "/accounting/payables/{payable_id}", "get_accounting_payables_id", true, true, s.getAccountingPayable),

		r("POST", "/webhook_subscriptions", "post_webhook_subscriptions", true, false, s.postSubscription),
		r("GET", "/webhook_subscriptions", "get_webhook_subscriptions", true, false, s.listSubscriptions),
		r("GET", "/webhook_subscriptions/{webhook_subscription_id}", "get_webhook_subscriptions_id", true, false, s.getSubscription),
		r("PATCH", "/webhook_subscriptions/{webhook_subscription_id}", "patch_webhook_subscriptions_id", true, false, s.patchSubscription),
		r("DELETE", "/webhook_subscriptions/{webhook_subscription_id}", "delete_webhook_subscriptions_id", true, false, s.deleteSubscription),
		r("POST", "/webhook_subscriptions/{webhook_subscription_id}/enable", "post_webhook_subscriptions_id_enable", true, false, s.enableSubscription),
		r("POST", "/webhook_subscriptions/{webhook_subscription_id}/disable", "post_webhook_subscriptions_id_disable", true, false, s.disableSubscription),
		r("POST", "/webhook_subscriptions/{webhook_subscription_id}/regenerate_secret", "post_webhook_subscriptions_id_regenerate_secret", true, false, s.regenerateSecret),
		r("GET", "/events", "get_events", true, true, s.listEvents),
		r("GET", "/events/{event_id}", "get_events_id", true, false, s.getEvent),
		r("GET", "/webhook_deliveries", "get_webhook_deliveries", true, true, s.listDeliveries),
	}
}

// Routes returns every API operation the server registers.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routeTable() {
		out = append(out, r.Route)
	}
	return out
}

func (s *Server) routes() {
	for _, rt := range s.routeTable() {
		h := rt.h
		switch {
		case rt.entity:
			h = s.withEntity(h)
		case rt.auth:
			h = s.withPartner(h)
		}
		op := rt.OperationID
		s.mux.Handle(rt.Method+" "+rt.Path, s.withOperation(op, h))
	}
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(apispec.Document())
	})
	s.mux.Handle("GET /docs", apispec.DocsHandler())
	// Where accounting systems send the user back after granting access (not part of Monite's API).
	s.mux.HandleFunc("GET /oauth/callback", s.oauthCallback)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// ServeHTTP serves the API. A panic in a handler is logged and answered with a 500, never a
// dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger().Error("panic serving request", slog.Any("panic", v), slog.String("path", r.URL.Path),
				slog.String("stack", string(debug.Stack())))
			s.writeError(w, r, booksync.Errorf(booksync.EINTERNAL, "panic: %v", v))
		}
	}()
	// Unknown routes and methods get Monite's error shape rather than ServeMux's plain text.
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.writeNotRouted(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) writeNotRouted(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		var body errorBody
		body.Error.Message = "Method Not Allowed"
		writeJSON(w, http.StatusMethodNotAllowed, body)
		return
	}
	s.writeError(w, r, booksync.Errorf(booksync.ENOTFOUND, "Not Found"))
}

// statusRecorder captures the status ServeMux would answer for an unrouted request.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

type ctxKey int

const (
	ctxOperation ctxKey = iota
	ctxPartner
	ctxEntity
	ctxSettings // the entity's settings as withEntity read them (store.SettingsJSON)
)

func (s *Server) withOperation(op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if err := checkVersion(r); err != nil {
			s.writeError(sw, r, err)
		} else {
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxOperation, op)))
		}
		s.Metrics.ObserveRequest(op, sw.status, time.Since(start))
	})
}

// checkVersion refuses a request written for another version of Monite's API than the one
// booksync serves: answering it with this version's shapes would mislead the client silently.
// A request without the header gets the version booksync serves, as the served spec says.
func checkVersion(r *http.Request) error {
	for _, v := range r.Header.Values("x-monite-version") {
		if v != booksync.APIVersion {
			return booksync.FieldErrorf("literal_error", []any{"header", "x-monite-version"},
				"Unsupported API version %q: booksync serves Monite's API version %s only; send x-monite-version: %s or leave the header out.",
				truncate(v, 32), booksync.APIVersion, booksync.APIVersion)
		}
	}
	return nil
}

// statusWriter remembers the status a handler wrote, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// withPartner authenticates the bearer token and puts its partner id in the context.
func (s *Server) withPartner(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, err := bearerToken(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		partnerID, err := s.PartnerByToken(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxPartner, partnerID)))
	}
}

// withEntity authenticates the bearer token as withPartner does and resolves the
// x-monite-entity-id header to an entity of the token's partner, reading both at once
// (Store.TokenEntity). A token that is not valid is refused first, whatever the header holds.
func (s *Server) withEntity(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, err := bearerToken(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		id := r.Header.Get("x-monite-entity-id")
		if err := checkEntityHeader(id); err != nil {
			// The header is refused only once the token is known to be valid.
			if _, terr := s.PartnerByToken(r.Context(), token); terr != nil {
				err = terr
			}
			s.writeError(w, r, err)
			return
		}
		partnerID, e, settings, err := s.store.TokenEntity(r.Context(), hashToken(token), s.now(), id)
		if err != nil {
			if partnerID == "" && booksync.ErrorCode(err) == booksync.ENOTFOUND {
				err = badToken()
			}
			s.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), ctxPartner, partnerID)
		ctx = context.WithValue(ctx, ctxEntity, e)
		next(w, r.WithContext(context.WithValue(ctx, ctxSettings, settings)))
	}
}

// bearerToken returns the bearer token of a request's Authorization header.
func bearerToken(r *http.Request) (string, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "bearer ")
	}
	if !ok || token == "" {
		return "", booksync.Errorf(booksync.EUNAUTHORIZED, "Authorization header with a bearer token is required; get one from POST /auth/token.")
	}
	return token, nil
}

// checkEntityHeader refuses an x-monite-entity-id header that is missing or not a UUID.
func checkEntityHeader(id string) error {
	loc := []any{"header", "x-monite-entity-id"}
	if id == "" {
		return booksync.FieldErrorf("missing", loc, "Field required: the x-monite-entity-id header names the entity this call acts for.")
	}
	if !isUUID(id) {
		return booksync.FieldErrorf("uuid_parsing", loc, "Input should be a valid UUID, got %q.", truncate(id, 64))
	}
	return nil
}

func partnerID(r *http.Request) string { return r.Context().Value(ctxPartner).(string) }

func entityOf(r *http.Request) *booksync.Entity {
	return r.Context().Value(ctxEntity).(*booksync.Entity)
}

// entitySettings returns the settings of the request's entity, read with it by withEntity.
func entitySettings(r *http.Request) (booksync.Settings, error) {
	return r.Context().Value(ctxSettings).(store.SettingsJSON).Decode()
}

func operationOf(r *http.Request) string {
	op, _ := r.Context().Value(ctxOperation).(string)
	return op
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
