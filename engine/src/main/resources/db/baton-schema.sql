-- Baton's own tables; portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_organizations(
  id VARCHAR(64) PRIMARY KEY,
  name VARCHAR(255) NOT NULL
);
CREATE TABLE IF NOT EXISTS baton_projects(
  id VARCHAR(64) PRIMARY KEY,
  organization_id VARCHAR(64) NOT NULL REFERENCES baton_organizations(id),
  ref VARCHAR(64) NOT NULL UNIQUE,
  name VARCHAR(255) NOT NULL
);
CREATE TABLE IF NOT EXISTS baton_environments(
  id VARCHAR(64) PRIMARY KEY,
  project_id VARCHAR(64) NOT NULL REFERENCES baton_projects(id),
  slug VARCHAR(64) NOT NULL,
  UNIQUE(project_id, slug)
);
-- Keys are stored only as SHA-256 hashes; the plain value is shown once (or kept by the dev launcher).
CREATE TABLE IF NOT EXISTS baton_credentials(
  key_hash CHAR(64) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL REFERENCES baton_environments(id),
  kind VARCHAR(16) NOT NULL,
  created_at TIMESTAMP NOT NULL
);

-- Issue 14: managed keys (rotation, revocation, last use), users and their personal access tokens, and the
-- per-environment settings. Columns are added in place so databases made by earlier versions upgrade on start.
ALTER TABLE baton_organizations ADD COLUMN IF NOT EXISTS created_at TIMESTAMP;
ALTER TABLE baton_projects ADD COLUMN IF NOT EXISTS created_at TIMESTAMP;
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS created_at TIMESTAMP;
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS paused BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS id VARCHAR(64);
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS name VARCHAR(255);
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS prefix VARCHAR(32);
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP;
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS revoked_at TIMESTAMP;
ALTER TABLE baton_credentials ADD COLUMN IF NOT EXISTS last_used_at TIMESTAMP;
UPDATE baton_credentials SET id = CONCAT('key_', SUBSTRING(key_hash, 1, 24)) WHERE id IS NULL;
UPDATE baton_credentials SET name = 'bootstrap' WHERE name IS NULL;
UPDATE baton_credentials SET prefix = '' WHERE prefix IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS baton_credentials_id ON baton_credentials(id);
CREATE INDEX IF NOT EXISTS baton_credentials_environment ON baton_credentials(environment_id, kind);
CREATE TABLE IF NOT EXISTS baton_users(
  id VARCHAR(64) PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  name VARCHAR(255) NOT NULL,
  admin BOOLEAN DEFAULT FALSE NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS baton_organization_members(
  organization_id VARCHAR(64) NOT NULL REFERENCES baton_organizations(id),
  user_id VARCHAR(64) NOT NULL REFERENCES baton_users(id),
  PRIMARY KEY(organization_id, user_id)
);
-- Personal access tokens, like keys, only as SHA-256 hashes.
CREATE TABLE IF NOT EXISTS baton_personal_access_tokens(
  id VARCHAR(64) PRIMARY KEY,
  token_hash CHAR(64) NOT NULL UNIQUE,
  user_id VARCHAR(64) NOT NULL REFERENCES baton_users(id),
  name VARCHAR(255) NOT NULL,
  prefix VARCHAR(32) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP,
  last_used_at TIMESTAMP
);
-- Per-environment settings; NULL means the node's configured default.
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS concurrency_limit INTEGER;
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS trigger_rate_burst BIGINT;
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS trigger_rate_refill BIGINT;
ALTER TABLE baton_environments ADD COLUMN IF NOT EXISTS trigger_rate_interval_ms BIGINT;
-- Per-queue overrides: a row only while the queue is paused or its concurrency or rate limit is overridden. Read by the
-- environment's dispatcher when it starts and on every reconcile tick; queue names are Baton's (`task/<id>`).
CREATE TABLE IF NOT EXISTS baton_queue_settings(
  environment_id VARCHAR(64) NOT NULL,
  queue VARCHAR(255) NOT NULL,
  paused BOOLEAN DEFAULT FALSE NOT NULL,
  concurrency_limit INTEGER,
  concurrency_limit_overridden_at TIMESTAMP,
  PRIMARY KEY(environment_id, queue)
);
-- A queue's rate-limit override: at most rate_limit starts (per concurrency key) in any rate_limit_period_ms.
ALTER TABLE baton_queue_settings ADD COLUMN IF NOT EXISTS rate_limit INTEGER;
ALTER TABLE baton_queue_settings ADD COLUMN IF NOT EXISTS rate_limit_period_ms BIGINT;
ALTER TABLE baton_queue_settings ADD COLUMN IF NOT EXISTS rate_limit_overridden_at TIMESTAMP;
