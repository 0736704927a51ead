-- The outbox of events (docs/events.md): every change a party may care about, written in the transaction of the
-- change itself, so that nothing committed is missing and nothing rolled back is told. Read in commit order by the
-- event stream and the webhook dispatcher. Owned by the events module.

CREATE TABLE events (
  -- Insertion order within a transaction; across transactions, `tx` orders (see below).
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction. Readers take only events whose transaction is older than every transaction still
  -- running (pg_snapshot_xmin), in (tx, seq) order: an event committed later can then never sort before one already
  -- read, which a plain sequence cannot promise (sequence values are handed out before commit, not at it).
  tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- Stable and derived from the change (a ledger transaction, an alarm's step), so a change is told once.
  id text COLLATE "C" NOT NULL UNIQUE,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  object_type text NOT NULL,
  object_id text NOT NULL,
  -- The parties that may see the object when the event happened: MSP ids, `BorrowerMSP/<owner>`, or `*`.
  audience text[] NOT NULL CHECK (cardinality(audience) > 0),
  data jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_order ON events (tx, seq);

-- Events are history: nothing rewrites one.
CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_immutable();

-- Who could see each receipt as the last projected transaction left it, from that transaction's own event (the
-- chaincode names each written receipt's custodian, owner and lender): the "before" of the next event on it. Read
-- from the events, not from the receipts table, which holds the ledger's current state and may be ahead of them.
CREATE TABLE receipt_audiences (
  receipt_id text COLLATE "C" PRIMARY KEY,
  parties text[] NOT NULL
);
