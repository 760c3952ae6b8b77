-- Ingestion runs are claimed with a lease, so replicas sharing the database never ingest the same
-- file twice, and a crashed replica's runs are taken over once their lease expires (seconds).
-- lease_owner: the process running it; lease_until: epoch millis until which the claim holds
-- (renewed while the run goes on). NULL: nobody has claimed it yet.
ALTER TABLE vector_store_files ADD COLUMN lease_owner VARCHAR(64);
ALTER TABLE vector_store_files ADD COLUMN lease_until BIGINT;
