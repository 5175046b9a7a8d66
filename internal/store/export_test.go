package store

// What the tests of package store_test read of a Store's insides.

// BatchCommits returns how many commits the SQLite store's group commit has run.
func BatchCommits(s *Store) int64 { return s.batches.commits.Load() }

// QueuedCalls returns how many InTx calls wait for a turn (some may have left already).
func QueuedCalls(s *Store) int {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	return len(s.batches.queue)
}

// SetWALTruncateFrames sets the WAL length at which the SQLite store's checkpointer truncates it.
func SetWALTruncateFrames(s *Store, frames int) { s.ckpt.truncAt.Store(int64(frames)) }
