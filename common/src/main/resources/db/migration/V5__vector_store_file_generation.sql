-- Each (re-)add of a file to a vector store starts a new generation; an ingestion run publishes
-- its result only if the row is still at the generation it started from, so a slower, older run
-- can never overwrite what a newer add asked for.
ALTER TABLE vector_store_files ADD COLUMN generation BIGINT DEFAULT 0 NOT NULL;
