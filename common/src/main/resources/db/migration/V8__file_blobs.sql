-- File bytes in the database (LOOPLINE_FILE_STORAGE=database), for several replicas without an
-- object store: chunks of at most 1 MiB per file, in order (seq 0, 1, …); a chunk shorter than
-- 1 MiB is the last. A file's chunks are written in one transaction.
CREATE TABLE file_blobs (
    file_id VARCHAR(64) NOT NULL,
    seq     INTEGER     NOT NULL,
    data    BYTEA       NOT NULL,
    PRIMARY KEY (file_id, seq)
);
