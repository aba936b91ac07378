-- Consent confirmed with Microsoft Graph (the partner app's service principal holds the
-- application permissions), not only believed from the callback's query string.
ALTER TABLE consents ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
-- ';'-joined names of the permissions Graph showed missing (NULL: not verified).
ALTER TABLE consents ADD COLUMN missing_permissions TEXT;
