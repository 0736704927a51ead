-- Where each device is (docs/design.md section 9): a warehouse location and, optionally, a lot, so that every reading
-- knows which lot, and so which receipts and pledges, it concerns. Append-only: a move is a new row, and the history
-- of placements is what supervision and courts read back (which lot a reading was about, at the time it was taken).
CREATE TABLE device_placements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id text COLLATE "C" NOT NULL REFERENCES devices (id),
  lot_id text,
  location text,
  placed_by text NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (lot_id IS NOT NULL OR location IS NOT NULL)
);

CREATE INDEX device_placements_current ON device_placements (device_id, id DESC);
CREATE INDEX device_placements_lot ON device_placements (lot_id, id DESC) WHERE lot_id IS NOT NULL;

CREATE FUNCTION device_placements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'device_placements is append-only: % is not allowed', TG_OP USING ERRCODE = 'raise_exception';
END;
$$;

CREATE TRIGGER device_placements_no_update_or_delete BEFORE UPDATE OR DELETE ON device_placements
  FOR EACH ROW EXECUTE FUNCTION device_placements_append_only();

CREATE TRIGGER device_placements_no_truncate BEFORE TRUNCATE ON device_placements
  FOR EACH STATEMENT EXECUTE FUNCTION device_placements_append_only();
