-- What each API key may do: a JSON array, a non-empty subset of ["ingest","read"].
-- Keys issued before scopes existed could do everything, so they keep both.
ALTER TABLE `api_keys` ADD `scopes` text DEFAULT '["ingest","read"]' NOT NULL;
