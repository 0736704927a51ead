-- Evidence intake (DESIGN.md section 6): devices and their keys, every accepted piece of evidence as a Merkle leaf,
-- refused items, and documents' metadata (their bytes live in the object store under DATA_DIR/objects/).

-- Devices that sign readings. The key is kept as the SPKI PEM the gateway re-exported after parsing it, which is also
-- what evidence bundles show. A device is never deleted: its evidence refers to it; it is deactivated instead.
CREATE TABLE devices (
  id text COLLATE "C" PRIMARY KEY CHECK (id <> ''),
  warehouse_id text NOT NULL,
  kind text NOT NULL,
  algorithm text NOT NULL CHECK (algorithm IN ('Ed25519', 'ECDSA-P256')),
  public_key text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  deactivated_by text,
  deactivated_at timestamptz,
  CHECK (active = (deactivated_at IS NULL))
);

CREATE INDEX devices_warehouse ON devices (warehouse_id, id);

-- The last sequence number accepted from each device; written under the device row's lock (SELECT ... FOR UPDATE on
-- devices), so two concurrent batches can never both accept the same seq.
CREATE TABLE device_sequences (
  device_id text PRIMARY KEY REFERENCES devices (id),
  last_seq bigint NOT NULL CHECK (last_seq >= 0),
  last_evidence_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The next leaf index, in one row. A writer adds its leaves' count here in the same transaction that inserts them:
-- the row lock makes writers take indices one transaction at a time and in commit order, and a rollback gives the
-- indices back, so the committed leaves are always exactly 0..n-1 with no gap (a sequence would leave gaps after
-- rollbacks, and could make leaf 11 visible before leaf 10 commits). The checkpoint worker may therefore cut a
-- checkpoint from the committed leaves without waiting for anything still in flight.
CREATE TABLE evidence_leaf_counter (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  next_leaf_index bigint NOT NULL CHECK (next_leaf_index >= 0)
);

INSERT INTO evidence_leaf_counter (singleton, next_leaf_index) VALUES (true, 0);

-- Every accepted piece of evidence: one Merkle leaf, leaf_hash = SHA-256(0x00 || record_jcs). record_jcs is the
-- exact RFC 8785 text that was hashed (jsonb would not keep it byte for byte); record is the same for queries.
CREATE TABLE evidence (
  id text COLLATE "C" PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('device-reading', 'document', 'ledger-event')),
  record jsonb NOT NULL,
  record_jcs text NOT NULL,
  leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
  leaf_index bigint NOT NULL UNIQUE CHECK (leaf_index >= 0),
  -- The signing device and the envelope's seq (device readings only).
  device_id text REFERENCES devices (id),
  device_seq bigint CHECK (device_seq >= 0),
  -- When this reading skipped sequence numbers: the first one missing (the gap is seq_gap_from .. device_seq - 1).
  seq_gap_from bigint,
  -- Links to the ledger as the submitter gave them (not checked against the ledger).
  lot_id text,
  receipt_id text,
  submitted_by text NOT NULL,
  received_at timestamptz NOT NULL,
  -- Set once, by the checkpoint worker, when the leaf is put into a checkpoint.
  checkpoint_seq bigint CHECK (checkpoint_seq >= 0),
  CHECK ((device_id IS NULL) = (device_seq IS NULL)),
  CHECK (device_id IS NULL OR kind = 'device-reading'),
  CHECK (seq_gap_from IS NULL OR (device_seq IS NOT NULL AND seq_gap_from >= 0 AND seq_gap_from < device_seq))
);

CREATE UNIQUE INDEX evidence_device_seq ON evidence (device_id, device_seq) WHERE device_id IS NOT NULL;
CREATE INDEX evidence_unanchored ON evidence (leaf_index) WHERE checkpoint_seq IS NULL;
CREATE INDEX evidence_checkpoint ON evidence (checkpoint_seq, leaf_index) WHERE checkpoint_seq IS NOT NULL;
CREATE INDEX evidence_gaps ON evidence (device_id, device_seq) WHERE seq_gap_from IS NOT NULL;
CREATE INDEX evidence_lot ON evidence (lot_id) WHERE lot_id IS NOT NULL;
CREATE INDEX evidence_receipt ON evidence (receipt_id) WHERE receipt_id IS NOT NULL;

-- A leaf never changes once written (its hash may already be anchored) and is never deleted; the only update is the
-- checkpoint worker's, setting checkpoint_seq once. Enforced by the database, as for the audit log.
CREATE FUNCTION evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.checkpoint_seq IS NULL
       AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.record = OLD.record AND NEW.record_jcs = OLD.record_jcs
       AND NEW.leaf_hash = OLD.leaf_hash AND NEW.leaf_index = OLD.leaf_index
       AND NEW.device_id IS NOT DISTINCT FROM OLD.device_id AND NEW.device_seq IS NOT DISTINCT FROM OLD.device_seq
       AND NEW.seq_gap_from IS NOT DISTINCT FROM OLD.seq_gap_from
       AND NEW.lot_id IS NOT DISTINCT FROM OLD.lot_id AND NEW.receipt_id IS NOT DISTINCT FROM OLD.receipt_id
       AND NEW.submitted_by = OLD.submitted_by AND NEW.received_at = OLD.received_at THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'evidence is immutable: % is refused (only checkpoint_seq may be set, once)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER evidence_no_change BEFORE UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION evidence_immutable();

CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
  FOR EACH STATEMENT EXECUTE FUNCTION evidence_immutable();

-- Items the gateway refused, with why: replays, backwards sequence numbers, bad signatures... are recorded, never
-- silently dropped. item_sha256 is SHA-256 of the item's RFC 8785 JCS text, so a refused item can be matched later.
-- No foreign key to devices: items naming unknown devices are recorded too.
CREATE TABLE evidence_rejections (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  submitted_by text NOT NULL,
  request_id text NOT NULL,
  device_id text,
  device_seq bigint,
  code text NOT NULL,
  detail text NOT NULL,
  item_sha256 bytea NOT NULL CHECK (octet_length(item_sha256) = 32)
);

CREATE INDEX evidence_rejections_device ON evidence_rejections (device_id, id);

-- Documents: metadata of a document's evidence leaf. The bytes are stored content-addressed, once per SHA-256, at
-- stored_path (relative to DATA_DIR) when they have been uploaded and checked against sha256 and size.
CREATE TABLE documents (
  evidence_id text PRIMARY KEY REFERENCES evidence (id),
  sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
  size bigint NOT NULL CHECK (size >= 0),
  media_type text NOT NULL,
  name text NOT NULL,
  stored_path text,
  stored_at timestamptz,
  CHECK ((stored_path IS NULL) = (stored_at IS NULL))
);

CREATE INDEX documents_sha256 ON documents (sha256);
