-- The Outlook/Teams calendar event Graph created for a meeting scheduled from the Teams tab
-- (`POST /api/v1/events`): a retry with the same meeting key finds it instead of creating
-- a second event.
ALTER TABLE meetings ADD COLUMN graph_event_id TEXT;
