-- The Teams join link of a meeting (from the invite Teams wrote, or from Graph): what leads
-- a bridge from a resolved Video ID into the Teams meeting itself.
ALTER TABLE meetings ADD COLUMN teams_join_url TEXT;
