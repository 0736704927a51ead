-- The numeric values of device readings as one series per device and reading kind, for charts
-- (GET /v1/devices/{id}/series). A statement trigger writes them in the same statement that inserts the evidence, so a
-- value is in the series exactly when its reading is evidence, and a batch costs one INSERT ... SELECT, not one per row.
-- Values that are not JSON numbers (text, objects) or that a double cannot hold are not series values.
CREATE TABLE reading_series (
  device_id text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  leaf_index bigint NOT NULL
);

-- A chart reads one device's kind over a time range: an index-only scan of this index.
CREATE INDEX reading_series_chart ON reading_series (device_id, kind, ts) INCLUDE (value);

-- The series values of one evidence record: the readings of a device reading whose value is a JSON number that a
-- double holds, at the envelope's time. The one rule of what goes in a series, for the trigger and the backfill alike.
CREATE FUNCTION reading_series_values(kind text, record jsonb)
  RETURNS TABLE (reading_kind text, ts timestamptz, value double precision) LANGUAGE sql STABLE AS $$
  SELECT r ->> 'kind', (record -> 'envelope' ->> 'ts')::timestamptz, (r ->> 'value')::double precision
  FROM jsonb_array_elements(CASE WHEN kind = 'device-reading' THEN record -> 'envelope' -> 'readings' ELSE '[]'::jsonb END) AS r
  WHERE jsonb_typeof(r -> 'value') = 'number' AND abs((r ->> 'value')::numeric) < 1e300
$$;

CREATE FUNCTION reading_series_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reading_series (device_id, kind, ts, value, leaf_index)
  SELECT e.device_id, v.reading_kind, v.ts, v.value, e.leaf_index FROM inserted e, reading_series_values(e.kind, e.record) AS v;
  RETURN NULL;
END
$$;

CREATE TRIGGER evidence_reading_series AFTER INSERT ON evidence
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION reading_series_append();

-- Each series summed up per minute and per hour, so that a chart over weeks or months reads a few thousand rows
-- instead of millions: count, sum, min and max combine across the slots a chart asks for. A statement trigger on
-- reading_series keeps them in the statement that adds the values. Rows are upserted in key order, so that two
-- batches adding to the same slots take their row locks in the same order and cannot deadlock.
CREATE TABLE reading_series_rollup (
  device_id text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  -- The slot's width in seconds: 60 or 3600.
  width integer NOT NULL CHECK (width IN (60, 3600)),
  slot timestamptz NOT NULL,
  count bigint NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  PRIMARY KEY (device_id, kind, width, slot)
);

CREATE FUNCTION reading_series_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reading_series_rollup AS r (device_id, kind, width, slot, count, sum, min, max)
  SELECT device_id, kind, w.width, to_timestamp(floor(extract(epoch FROM ts) / w.width) * w.width), count(*), sum(value), min(value), max(value)
  FROM added, (VALUES (60), (3600)) AS w (width)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (device_id, kind, width, slot) DO UPDATE
    SET count = r.count + excluded.count, sum = r.sum + excluded.sum, min = least(r.min, excluded.min), max = greatest(r.max, excluded.max);
  RETURN NULL;
END
$$;

CREATE TRIGGER reading_series_rollup AFTER INSERT ON reading_series
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION reading_series_roll_up();

-- The readings stored before this migration (the rollup trigger sums them up as they go in).
INSERT INTO reading_series (device_id, kind, ts, value, leaf_index)
SELECT e.device_id, v.reading_kind, v.ts, v.value, e.leaf_index FROM evidence e, reading_series_values(e.kind, e.record) AS v;
