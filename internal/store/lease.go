package store

import (
	"context"
	"fmt"
	"time"
)

// Leases a connection has: one process at a time may refresh its token, and one may push to it.
const (
	LeaseRefresh = "refresh"
	LeasePush    = "push"
)

// AcquireLease takes a lease on a connection until `until`, if no one holds it, and reports
// whether it did. A lease is a row value rather than a lock held in a transaction, because what
// it guards is a call to the accounting system; a process that dies simply lets it expire. The
// holder knows the lease by its `until`, which RenewLease and ReleaseLease check, so that a holder
// whose lease lapsed and was taken by another never renews or releases the other's.
func (s *Store) AcquireLease(ctx context.Context, id, lease string, now, until time.Time) (bool, error) {
	col, err := leaseColumn(lease)
	if err != nil {
		return false, err
	}
	res, err := s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = $1 WHERE id = $2 AND "+col+" < $3",
		micros(until), id, micros(now))
	if err != nil {
		return false, fmt.Errorf("store: lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RenewLease extends a lease held until `held` to `until`, and reports whether it was still held
// (false: it lapsed and another holder took it, or it was released).
func (s *Store) RenewLease(ctx context.Context, id, lease string, held, until time.Time) (bool, error) {
	col, err := leaseColumn(lease)
	if err != nil {
		return false, err
	}
	res, err := s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = $1 WHERE id = $2 AND "+col+" = $3",
		micros(until), id, micros(held))
	if err != nil {
		return false, fmt.Errorf("store: renew lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease gives back a lease held until `held`; a lease another holder has taken since is
// left alone.
func (s *Store) ReleaseLease(ctx context.Context, id, lease string, held time.Time) error {
	col, err := leaseColumn(lease)
	if err != nil {
		return err
	}
	_, err = s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = 0 WHERE id = $1 AND "+col+" = $2", id, micros(held))
	return err
}

// releaseAllLeases gives back every lease of every connection (see RecoverFromCrash).
func (s *Store) releaseAllLeases(ctx context.Context) error {
	_, err := s.writer.ExecContext(ctx, `UPDATE accounting_connections SET push_lease_until = 0, refresh_lease_until = 0
	WHERE push_lease_until <> 0 OR refresh_lease_until <> 0`)
	if err != nil {
		return fmt.Errorf("store: release leases: %w", err)
	}
	return nil
}

func leaseColumn(lease string) (string, error) {
	switch lease {
	case LeaseRefresh:
		return "refresh_lease_until", nil
	case LeasePush:
		return "push_lease_until", nil
	}
	return "", fmt.Errorf("store: unknown lease %q", lease)
}
