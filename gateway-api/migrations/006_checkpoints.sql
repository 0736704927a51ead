-- Merkle checkpoints over the evidence leaves and where each is anchored (DESIGN.md section 6). A checkpoint row is
-- written, with its leaves assigned, before anything is sent to the chain; the anchoring transaction's hash and nonce
-- are written before it is broadcast; its block once confirmed; the ledger's RecordCheckpoint transaction last. A
-- restart resumes from whatever the row says.
CREATE TABLE checkpoints (
  seq bigint PRIMARY KEY CHECK (seq >= 0),
  prev_hash text NOT NULL,
  first_leaf_index bigint NOT NULL CHECK (first_leaf_index >= 0),
  leaf_count integer NOT NULL CHECK (leaf_count > 0),
  root text NOT NULL UNIQUE,
  -- Exactly the RFC 3339 text that was hashed.
  created_at text NOT NULL,
  hash text NOT NULL UNIQUE,
  pending_tx_hash text,
  pending_nonce bigint,
  chain_id bigint,
  contract text,
  tx_hash text,
  block_number bigint,
  block_hash text,
  block_timestamp bigint,
  anchored_at timestamptz,
  ledger_tx_id text,
  recorded_at timestamptz,
  CHECK ((pending_tx_hash IS NULL) = (pending_nonce IS NULL)),
  CHECK ((tx_hash IS NULL) = (anchored_at IS NULL)),
  CHECK (tx_hash IS NULL OR (chain_id IS NOT NULL AND contract IS NOT NULL AND block_number IS NOT NULL AND block_hash IS NOT NULL AND block_timestamp IS NOT NULL)),
  CHECK (ledger_tx_id IS NULL OR tx_hash IS NOT NULL),
  CHECK ((ledger_tx_id IS NULL) = (recorded_at IS NULL))
);

CREATE INDEX checkpoints_unfinished ON checkpoints (seq) WHERE ledger_tx_id IS NULL;

-- The Anchor contract deployed on each chain when ANCHOR_CONTRACT is not given ("deploy on first start and remember").
CREATE TABLE anchor_contracts (
  chain_id bigint PRIMARY KEY,
  address text NOT NULL,
  deploy_tx_hash text NOT NULL,
  deploy_block bigint NOT NULL,
  signer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Which gateway instance runs the anchoring worker, when several share one PostgreSQL: a lease renewed while working.
CREATE TABLE anchor_worker_lease (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
