-- The ledger projected for listing and search. The ledger stays the source of truth: rows are refreshed from it by
-- re-reading current state whenever an event names them, so replaying events converges instead of accumulating.

-- Ids sort bytewise (COLLATE "C"), as Fabric orders keys, so pages come out in the chaincode's ListReceipts order.
CREATE TABLE receipts (
  id text COLLATE "C" PRIMARY KEY,
  lot_id text NOT NULL,
  warehouse_id text NOT NULL,
  custodian_msp text NOT NULL,
  owner_msp text NOT NULL,
  owner_id text NOT NULL,
  status text NOT NULL,
  quantity numeric NOT NULL,
  unit text NOT NULL,
  commodity text NOT NULL,
  pledge_lender text,
  pledge_status text,
  frozen boolean NOT NULL,
  parent_id text,
  -- Block of the last event that refreshed the row (a refresh from an older event never overwrites a newer one).
  updated_block bigint NOT NULL,
  -- The transaction that last wrote the receipt on the ledger (its lastTxId).
  updated_tx text NOT NULL,
  -- The receipt exactly as GetReceipt returned it.
  document jsonb NOT NULL
);

CREATE INDEX receipts_custodian ON receipts (custodian_msp, id);
CREATE INDEX receipts_owner ON receipts (owner_msp, owner_id, id);
CREATE INDEX receipts_lender ON receipts (pledge_lender, id);
CREATE INDEX receipts_status ON receipts (status, id);
CREATE INDEX receipts_lot ON receipts (lot_id, id);
CREATE INDEX receipts_warehouse ON receipts (warehouse_id, id);

CREATE TABLE lots (
  id text COLLATE "C" PRIMARY KEY,
  warehouse_id text NOT NULL,
  custodian_msp text NOT NULL,
  commodity text NOT NULL,
  unit text NOT NULL,
  quantity numeric NOT NULL,
  receipted_quantity numeric NOT NULL,
  updated_block bigint NOT NULL,
  -- The lot exactly as GetLot returned it.
  document jsonb NOT NULL
);

-- Each chaincode event once, keyed by its position on the ledger.
CREATE TABLE ledger_events (
  block_number bigint NOT NULL,
  tx_index integer NOT NULL,
  tx_id text NOT NULL,
  event_name text NOT NULL,
  payload jsonb NOT NULL,
  tx_timestamp timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (block_number, tx_index)
);

CREATE INDEX ledger_events_tx ON ledger_events (tx_id);

-- How far each projection got: the position of the last event it applied.
CREATE TABLE projection_checkpoints (
  name text PRIMARY KEY,
  block_number bigint NOT NULL,
  tx_index integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
