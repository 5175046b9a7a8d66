package syncer

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/booksync/booksync"
)

// syncEventTx writes, inside tx, an event of a connection's sync (finished or failed).
// It takes the connection as read before tx began: on SQLite tx holds the only writer connection.
func (e *Engine) syncEventTx(ctx context.Context, tx *sql.Tx, conn *booksync.Connection, eventType, what string) error {
	ev, err := booksync.NewEvent(conn.EntityID, booksync.EventObjectConnection, eventType, conn.ID, conn,
		fmt.Sprintf("The sync of the %s accounting connection %s %s.", conn.Platform, conn.ID, what))
	if err != nil {
		return err
	}
	ev.CreatedAt = e.now()
	return e.store.AddEventTx(ctx, tx, ev)
}

// syncFailedEvent writes the event of a failed attempt to sync a connection; a failure to write
// it is logged, as the job's own outcome matters more.
func (e *Engine) syncFailedEvent(ctx context.Context, connID string, cause error) {
	conn, err := e.store.ConnectionByID(ctx, connID)
	if err == nil {
		err = e.store.InTx(ctx, func(tx *sql.Tx) error {
			return e.syncEventTx(ctx, tx, conn, booksync.EventSyncFailed, "failed: "+cause.Error())
		})
	}
	if err != nil {
		e.log.Error("sync failure event not written", "connection_id", connID, "err", err)
	}
}
