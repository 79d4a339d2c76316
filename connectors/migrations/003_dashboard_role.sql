-- Least privilege for dashboards: a role that can read the dashboard views and nothing else.
-- The views run with their owner's rights, so the role needs no grant on ivica.* tables.
-- `ivica db migrate` gives it LOGIN and a password from IVICA_DASHBOARD_PASSWORD.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ivica_dashboard') THEN
    CREATE ROLE ivica_dashboard NOLOGIN;
  END IF;
END $$;
REVOKE ALL ON SCHEMA ivica FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA dashboard TO ivica_dashboard;
GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO ivica_dashboard;
ALTER DEFAULT PRIVILEGES IN SCHEMA dashboard GRANT SELECT ON TABLES TO ivica_dashboard;
ALTER ROLE ivica_dashboard SET default_transaction_read_only = on;
