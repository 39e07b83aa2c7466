-- The projections' read model and akka-projection-jdbc 1.4.0's own tables; portable between PostgreSQL and H2.
-- Run on every start (idempotent), under the schema lock of dev.baton.engine.storage.Database.

-- One row per run: what it is, where it stands, and when it must be looked at next if nothing else does
-- (the durable timer index read by the sweeper). Columns are only ever added, with defaults.
CREATE TABLE IF NOT EXISTS baton_runs(
  run_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  task_id VARCHAR(255) NOT NULL,
  queue VARCHAR NOT NULL,
  concurrency_key VARCHAR,
  status VARCHAR(32) NOT NULL,
  tag VARCHAR(64) NOT NULL,
  attempt_count INTEGER DEFAULT 0 NOT NULL,
  ttl_ms BIGINT,
  max_duration_seconds INTEGER,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  wake_at TIMESTAMP WITH TIME ZONE,
  wake_count INTEGER DEFAULT 0 NOT NULL
);
CREATE INDEX IF NOT EXISTS baton_runs_tag_wake_at_idx ON baton_runs(tag, wake_at);
CREATE INDEX IF NOT EXISTS baton_runs_environment_status_idx ON baton_runs(environment_id, status);

-- akka-projection-jdbc's offset store and management tables, exactly as its postgres-dialect and h2-dialect
-- create them with offset-store.use-lowercase-schema = true (quoted lower-case names suit both databases).
CREATE TABLE IF NOT EXISTS "akka_projection_offset_store" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "current_offset" VARCHAR(255) NOT NULL,
  "manifest" VARCHAR(4) NOT NULL,
  "mergeable" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);
CREATE INDEX IF NOT EXISTS "akka_projection_name_index" ON "akka_projection_offset_store" ("projection_name");
CREATE TABLE IF NOT EXISTS "akka_projection_management" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "paused" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);
