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
