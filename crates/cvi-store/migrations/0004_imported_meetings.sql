-- Meetings imported from another system (Microsoft's CVI, another provider): their Video IDs
-- carry no check digit of ours, so resolution may not reject them by it.
ALTER TABLE meetings ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
