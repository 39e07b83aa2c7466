-- Per-environment server secrets of the HTTP API (never shown to anyone): the HMAC key of the public access
-- tokens (x-trigger-jwt) and of the packet URLs. Created on first use. Portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_environment_secrets(
  environment_id VARCHAR(64) PRIMARY KEY,
  secret CHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
