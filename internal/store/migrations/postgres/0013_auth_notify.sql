-- Each process's store keeps the tokens and entities that API requests authenticate with for a few
-- seconds (see authCache). A change to a token (a revoke) or to an entity, made by any process, is
-- announced on the channel booksync_auth when its transaction commits, and every listening store
-- forgets what it kept. One announcement per statement: a change is rare, and the listeners forget
-- everything at once anyway.
CREATE FUNCTION booksync_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('booksync_auth', '');
	RETURN NULL;
END;
$$;
CREATE TRIGGER access_tokens_auth_changed AFTER UPDATE OR DELETE ON access_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION booksync_auth_changed();
CREATE TRIGGER entities_auth_changed AFTER UPDATE OR DELETE ON entities
	FOR EACH STATEMENT EXECUTE FUNCTION booksync_auth_changed();
