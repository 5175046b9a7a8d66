-- A push marks its records attempted before it sends them (attempts = attempts + 1), a change to no
-- indexed column. PostgreSQL makes such an update a heap-only tuple (HOT) update, which writes no
-- index entry, only when the new version of the row fits in the row's own page. A table's pages are
-- filled to the brim by default, so nearly every mark wrote a new entry in each of the table's
-- seven indexes. Pages now keep 30% of their space for the records' updates: about half the marks
-- of a backlog's push are HOT updates, and a batch's mark costs about 30% less. (Pages filled before
-- this migration get room only as their dead rows are pruned or vacuumed.)
ALTER TABLE synced_records SET (fillfactor = 70);
