package api

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Store is what the API needs from storage. internal/store implements it on SQLite and PostgreSQL.
// Every entity-level method takes the entity id and treats another entity's object as not found,
// so that isolation holds in the query itself. ENOTFOUND and ECONFLICT below are the codes
// (booksync.ErrorCode) of the store's typed errors: internal/store returns a *store.NotFoundError
// for ENOTFOUND, and a *store.StatusError or one of its Err values for ECONFLICT. A list refuses a
// query its booksync.ListSpec does not take with a *store.QueryError (EVALIDATION). Issuing and
// canceling invoices and recording payments, which also queue their sync, go through the invoicing
// service instead.
type Store interface {
	AccountingStore
	// CreatePartner stores an API client with the SHA-256 hash of its secret; for an existing
	// client id it replaces the stored secret hash.
	CreatePartner(ctx context.Context, p booksync.Partner, secretHash []byte) error
	// PartnerSecretHash returns the stored secret hash of a partner, or ENOTFOUND.
	PartnerSecretHash(ctx context.Context, partnerID string) ([]byte, error)
	// CountPartners returns how many API clients exist.
	CountPartners(ctx context.Context) (int, error)
	// CreateToken stores the SHA-256 hash of a bearer token of a partner.
	CreateToken(ctx context.Context, tokenHash []byte, partnerID string, expiresAt time.Time) error
	// TokenPartner returns the partner of an unexpired, unrevoked token, or ENOTFOUND.
	TokenPartner(ctx context.Context, tokenHash []byte, now time.Time) (string, error)
	// TokenEntity returns, in one read, the partner of an unexpired, unrevoked token and that
	// partner's entity entityID with its settings: ENOTFOUND with no partner when the token is not
	// valid, and the partner with ENOTFOUND when the entity does not exist or is another partner's.
	TokenEntity(ctx context.Context, tokenHash []byte, now time.Time, entityID string) (string, *booksync.Entity, store.SettingsJSON, error)
	// RevokeToken revokes a token of the partner; revoking an unknown token is not an error.
	RevokeToken(ctx context.Context, tokenHash []byte, partnerID string) error

	// CreateEntity stores a new entity with its initial settings.
	CreateEntity(ctx context.Context, e *booksync.Entity, s booksync.Settings) error
	// Entity returns an entity of the partner, or ENOTFOUND.
	Entity(ctx context.Context, partnerID, id string) (*booksync.Entity, error)
	// UpdateEntity replaces an entity's stored fields (matched by partner and id).
	UpdateEntity(ctx context.Context, e *booksync.Entity) error
	// Entities lists the partner's entities.
	Entities(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.Entity], error)
	// Settings returns an entity's settings.
	Settings(ctx context.Context, entityID string) (booksync.Settings, error)
	// UpdateSettings replaces an entity's settings.
	UpdateSettings(ctx context.Context, entityID string, s booksync.Settings) error

	// CreateCounterpart stores a counterpart and, when addr is not nil, its first address, which
	// becomes its default billing and shipping address (c is updated to say so).
	CreateCounterpart(ctx context.Context, c *booksync.Counterpart, addr *booksync.CounterpartAddress) error
	// Counterpart returns a counterpart of the entity that is not deleted, or ENOTFOUND.
	Counterpart(ctx context.Context, entityID, id string) (*booksync.Counterpart, error)
	// CounterpartWithAddresses returns a counterpart of the entity that is not deleted and its
	// addresses, oldest first, in one read; or ENOTFOUND.
	CounterpartWithAddresses(ctx context.Context, entityID, id string) (*booksync.Counterpart, []booksync.CounterpartAddress, error)
	// UpdateCounterpart replaces a counterpart's stored fields.
	UpdateCounterpart(ctx context.Context, c *booksync.Counterpart) error
	// DeleteCounterpart marks a counterpart deleted; invoices that name it keep their copy of it.
	DeleteCounterpart(ctx context.Context, entityID, id string, at time.Time) error
	// Counterparts lists the entity's counterparts that are not deleted.
	Counterparts(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Counterpart], error)
	// CreateCounterpartAddress adds an address to a counterpart of the entity.
	CreateCounterpartAddress(ctx context.Context, entityID string, a *booksync.CounterpartAddress) error
	// CounterpartAddresses returns a counterpart's addresses, oldest first.
	CounterpartAddresses(ctx context.Context, entityID, counterpartID string) ([]booksync.CounterpartAddress, error)

	// CreateVatID stores a VAT id of an entity (CounterpartID empty) or of its counterpart.
	CreateVatID(ctx context.Context, v *booksync.VatID) error
	// VatIDs returns the VAT ids of an entity (counterpartID empty) or of its counterpart, oldest first.
	VatIDs(ctx context.Context, entityID, counterpartID string) ([]booksync.VatID, error)
	// VatID returns one VAT id of an entity (counterpartID empty) or of its counterpart, or ENOTFOUND.
	VatID(ctx context.Context, entityID, counterpartID, id string) (*booksync.VatID, error)
	// UpdateVatID replaces a VAT id's fields.
	UpdateVatID(ctx context.Context, v *booksync.VatID) error
	// DeleteVatID removes a VAT id.
	DeleteVatID(ctx context.Context, entityID, counterpartID, id string) error

	// CreateProduct stores a catalog product.
	CreateProduct(ctx context.Context, p *booksync.Product) error
	// Product returns a product of the entity that is not deleted, or ENOTFOUND.
	Product(ctx context.Context, entityID, id string) (*booksync.Product, error)
	// UpdateProduct replaces a product's stored fields.
	UpdateProduct(ctx context.Context, p *booksync.Product) error
	// DeleteProduct marks a product deleted; invoice lines keep their copy of it.
	DeleteProduct(ctx context.Context, entityID, id string, at time.Time) error
	// Products lists the entity's products that are not deleted.
	Products(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Product], error)

	// CreateReceivable stores a new invoice (Version becomes 1).
	CreateReceivable(ctx context.Context, r *booksync.Receivable) error
	// Receivable returns an invoice of the entity, or ENOTFOUND.
	Receivable(ctx context.Context, entityID, id string) (*booksync.Receivable, error)
	// ReceivableWithCounterpart returns an invoice of the entity, or ENOTFOUND, whether its
	// counterpart is one of the entity's that is not deleted and what the issue may rely on of the
	// entity's connection, in one read.
	ReceivableWithCounterpart(ctx context.Context, entityID, id string) (store.DraftRead, error)
	// UpdateReceivable replaces an invoice if its stored Version still equals r.Version, and bumps
	// r.Version; otherwise it returns ECONFLICT, so a concurrent change is never lost.
	UpdateReceivable(ctx context.Context, r *booksync.Receivable) error
	// DeleteReceivable deletes a draft invoice; any other status gives ECONFLICT.
	DeleteReceivable(ctx context.Context, entityID, id string) error
	// Receivables lists the entity's invoices.
	Receivables(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Receivable], error)
	// ReceivablesJSON lists the entity's invoices as Receivables does, each item the JSON that
	// encoding its booksync.Receivable gives.
	ReceivablesJSON(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[json.RawMessage], error)

	// PaymentRecord returns a payment record of the entity, or ENOTFOUND.
	PaymentRecord(ctx context.Context, entityID, id string) (*booksync.PaymentRecord, error)
	// PaymentRecords lists the entity's payment records.
	PaymentRecords(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.PaymentRecord], error)
}

// AccountingStore is what the accounting API reads directly from storage.
type AccountingStore interface {
	// Connections returns the entity's connections, oldest first.
	Connections(ctx context.Context, entityID string) ([]booksync.Connection, error)
	// Connection returns a connection of the entity, or ENOTFOUND.
	Connection(ctx context.Context, entityID, id string) (*booksync.Connection, error)
	// SyncedRecord returns a synced record of the entity, or ENOTFOUND.
	SyncedRecord(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, error)
	// SyncedRecords lists the entity's synced records.
	SyncedRecords(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.SyncedRecord], error)
	// AccountingTaxRates lists the tax rates pulled through the entity's active connection.
	AccountingTaxRates(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.AccountingTaxRate], error)
	// AccountingTaxRate returns one of them, or ENOTFOUND.
	AccountingTaxRate(ctx context.Context, entityID, id string) (*booksync.AccountingTaxRate, error)
	// LedgerAccounts lists the ledger accounts pulled through the entity's active connection.
	LedgerAccounts(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.LedgerAccount], error)
	// LedgerAccount returns one of them, or ENOTFOUND.
	LedgerAccount(ctx context.Context, entityID, id string) (*booksync.LedgerAccount, error)
	// Pulled returns all the tax rates and ledger accounts pulled through the entity's active
	// connection.
	Pulled(ctx context.Context, entityID string) ([]booksync.AccountingTaxRate, []booksync.LedgerAccount, error)
}

// Accounting is what the accounting API asks of the sync engine (internal/syncer).
type Accounting interface {
	// Connect creates a pending connection of the entity to a platform, with its connection_url.
	Connect(ctx context.Context, entityID, platform string) (*booksync.Connection, error)
	// CompleteAuth finishes the OAuth flow of a connection from its callback's query (state,
	// code or error, and whatever else the accounting system sends, such as QuickBooks' realmId).
	CompleteAuth(ctx context.Context, callback url.Values) (*booksync.Connection, error)
	// Disconnect ends a connection.
	Disconnect(ctx context.Context, entityID, id string) (*booksync.Connection, error)
	// SyncNow queues a sync of a connection.
	SyncNow(ctx context.Context, entityID, id string) error
	// PushRecord makes a synced record pending again and queues its push.
	PushRecord(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, error)
	// RemoteInvoices reads sales invoices back from the entity's books.
	RemoteInvoices(ctx context.Context, entityID string, limit, offset int) ([]booksync.RemoteInvoice, error)
	// RemoteInvoice reads one sales invoice back by its id in the books.
	RemoteInvoice(ctx context.Context, entityID, id string) (booksync.RemoteInvoice, error)
	// RemoteBills reads purchase bills from the entity's books.
	RemoteBills(ctx context.Context, entityID string, limit, offset int) ([]booksync.RemoteBill, error)
	// RemoteBill reads one purchase bill by its id in the books.
	RemoteBill(ctx context.Context, entityID, id string) (booksync.RemoteBill, error)
	// CheckVoid refuses (ECONFLICT, naming them) the cancel of an invoice whose books hold
	// payments or credits against it, which would keep them from voiding it.
	CheckVoid(ctx context.Context, entityID, receivableID string) error
	// CheckCredit refuses (ECONFLICT) a credit note of amount of an invoice whose books have less
	// than that due on it.
	CheckCredit(ctx context.Context, entityID, invoiceID string, amount int64) error
}
