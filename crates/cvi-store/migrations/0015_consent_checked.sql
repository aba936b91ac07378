-- When Microsoft Graph last confirmed a consent (ms since the epoch; 0: never). Verified
-- consents are checked again daily: a consent revoked in Entra stops issuance and
-- resolution (#23 item 11).
ALTER TABLE consents ADD COLUMN checked_at BIGINT NOT NULL DEFAULT 0;
UPDATE consents SET checked_at = updated_at WHERE verified = 1;
