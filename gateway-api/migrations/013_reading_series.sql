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

CREATE FUNCTION reading_series_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reading_series (device_id, kind, ts, value, leaf_index)
  SELECT e.device_id, r ->> 'kind', (e.record -> 'envelope' ->> 'ts')::timestamptz, (r ->> 'value')::double precision, e.leaf_index
  FROM inserted e, jsonb_array_elements(e.record -> 'envelope' -> 'readings') AS r
  WHERE e.kind = 'device-reading'
    AND jsonb_typeof(r -> 'value') = 'number'
    AND abs((r ->> 'value')::numeric) < 1e300;
  RETURN NULL;
END
$$;

CREATE TRIGGER evidence_reading_series AFTER INSERT ON evidence
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION reading_series_append();

-- The readings stored before this migration.
INSERT INTO reading_series (device_id, kind, ts, value, leaf_index)
SELECT e.device_id, r ->> 'kind', (e.record -> 'envelope' ->> 'ts')::timestamptz, (r ->> 'value')::double precision, e.leaf_index
FROM evidence e, jsonb_array_elements(e.record -> 'envelope' -> 'readings') AS r
WHERE e.kind = 'device-reading'
  AND jsonb_typeof(r -> 'value') = 'number'
  AND abs((r ->> 'value')::numeric) < 1e300;
