-- Every request that reached an identity, and what it did on the ledger. No foreign key to identities: recording
-- must never fail, including for requests whose token named no identity.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  request_id text NOT NULL,
  identity_id text,
  method text NOT NULL,
  path text NOT NULL,
  tx_name text,
  tx_id text,
  block_number bigint,
  status integer NOT NULL,
  idempotency_key text
);

CREATE INDEX audit_log_identity ON audit_log (identity_id, id);

-- Append-only, enforced by the database rather than by convention: an auditor must be able to rely on it even
-- against the gateway's own code. (A superuser can still drop the triggers; that is visible in the server's logs.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
