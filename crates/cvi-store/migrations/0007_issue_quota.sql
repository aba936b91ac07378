-- The per-organizer issuance quota counts an organizer's meetings issued in the last hour.
CREATE INDEX meetings_organizer_created ON meetings (tenant_id, organizer, created_at);
