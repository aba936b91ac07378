-- Entra's immutable object id of the organizer: a renamed UPN keeps its meetings, and a new
-- person given an old UPN does not get them. NULL for meetings of tokens without `oid`
-- (the dev issuer, imports), which stay owned by UPN.
ALTER TABLE meetings ADD COLUMN organizer_oid TEXT;
