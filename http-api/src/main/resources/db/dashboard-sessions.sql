-- Dashboard sign-ins (dev.baton.api.auth.DashboardSessions): the SHA-256 hash of each session's random id (the
-- cookie holds the id), the kind and hash of the credential it was opened with, and its expiry. In the shared
-- database, so every node of a cluster accepts a session any node opened. Portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_dashboard_sessions(
  id_hash CHAR(64) PRIMARY KEY,
  credential_kind VARCHAR(32) NOT NULL,
  credential_hash CHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS baton_dashboard_sessions_expiry ON baton_dashboard_sessions(expires_at);
