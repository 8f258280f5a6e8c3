-- Migration 6: nodes. Every start of a torqued registers a node (a restart is a new one). A
-- running job records the node running it, and only that node may end or requeue it: a node
-- declared dead, whose running jobs were rescued, cannot record anything for them any more
-- (fencing). With SQLite one node runs at a time (the database's lock), so every earlier node
-- is dead and recovery at start rescues its jobs; the PostgreSQL store shares the contract.
CREATE TABLE nodes (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
  name         TEXT    NOT NULL,                   -- host and pid, for people
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  dead         INTEGER NOT NULL DEFAULT 0          -- 1: declared dead, its jobs rescued
);

-- The node running the job (running jobs only; 0: one from before nodes existed).
ALTER TABLE jobs ADD COLUMN node INTEGER NOT NULL DEFAULT 0;
