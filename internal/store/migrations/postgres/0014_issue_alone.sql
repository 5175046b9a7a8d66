-- An invoice of an entity with no connection is issued in one statement committed on its own where
-- it can (Store.IssueAlone): the statement takes the entity's next number and writes the invoice
-- and its event with it. Should the invoice change after the number was taken (while the statement
-- waited for the entity's counter), the statement must write nothing, or the counter would move on
-- with no invoice and the number would be missing from the entity's sequence: it calls this
-- function, which fails the statement with SQLSTATE BSK01, and the issue runs in a transaction.
CREATE FUNCTION booksync_refuse_issue() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	RAISE EXCEPTION 'booksync: the issue took a number it could not use' USING ERRCODE = 'BSK01';
END;
$$;
