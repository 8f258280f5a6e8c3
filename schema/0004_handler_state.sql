-- Migration 4: durable handler state. A job type's handler keeps small key/value pairs
-- here that must survive a restart (the queue manager's last start, a tree watch's
-- bookkeeping); a job's writes are committed in the same transaction as its outcome.
CREATE TABLE handler_state (
  type  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (type, key)
) WITHOUT ROWID;
