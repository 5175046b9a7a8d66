package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
)

// RiverDriver returns River's driver for this database, on the writer pool: on SQLite its single
// connection, so that jobs can be enqueued in the store's write transactions and River never meets
// SQLITE_BUSY; on PostgreSQL the one pool, with River's listener on a pgx connection of its own
// (LISTEN/NOTIFY: a job committed by any process wakes an idle worker at once, with no polling),
// unless the store was opened with Options.PostgresPollOnly. The sync engine's River client and
// Migrate both use it.
func (s *Store) RiverDriver() riverdriver.Driver[*sql.Tx] {
	return s.d.riverDriver(s.writer, s.listen)
}

// RecoverFromCrash undoes, at the start of a process, what a run of booksync that was killed left
// behind, where that is safe: on SQLite, where one process owns the database file, no job can
// really be running and no lease really held at that moment, so River jobs left running are made
// available again at once (rather than after River's rescue delay) and every connection's leases
// are released (rather than kept until they expire), so that those jobs can push at once. On
// PostgreSQL, which several processes share, the running jobs and leases may be another live
// process's: it does nothing, and River's rescuer and the leases' expiry recover a dead one's.
func (s *Store) RecoverFromCrash(ctx context.Context) error {
	if !s.d.oneProcess {
		return nil
	}
	if err := s.requeueRunningJobs(ctx); err != nil {
		return err
	}
	return s.releaseAllLeases(ctx)
}

// requeueRunningJobs makes River jobs left in the running state available again (see
// RecoverFromCrash).
func (s *Store) requeueRunningJobs(ctx context.Context) error {
	_, err := s.writer.ExecContext(ctx, "UPDATE river_job SET state = 'available' WHERE state = 'running'")
	if err != nil {
		return fmt.Errorf("store: requeue running jobs: %w", err)
	}
	return nil
}
