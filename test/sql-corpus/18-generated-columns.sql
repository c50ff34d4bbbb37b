-- GENERATED ALWAYS AS (Databricks' eventDate example): a value left out is computed, an UPDATE
-- of its input recomputes it, MERGE's INSERT * and UPDATE SET * compute it, and a wrong value
-- given is refused like a CHECK constraint.
CREATE TABLE ev.events (
  eventId BIGINT,
  eventTime TIMESTAMP,
  eventDate DATE GENERATED ALWAYS AS (CAST(eventTime AS DATE)),
  label STRING GENERATED ALWAYS AS (concat('e', CAST(eventId AS STRING)))
) PARTITIONED BY (eventDate);
INSERT INTO ev.events (eventId, eventTime) VALUES (1, TIMESTAMP '2026-03-01 10:00:00+00');
INSERT INTO ev.events BY NAME SELECT 2 AS eventId, TIMESTAMP '2026-03-02 23:30:00+00' AS eventTime;
UPDATE ev.events SET eventTime = eventTime + INTERVAL 1 DAY WHERE eventId = 1;
MERGE INTO ev.events t USING (VALUES (2::BIGINT, TIMESTAMP '2026-03-09 00:00:00+00'), (3::BIGINT, TIMESTAMP '2026-03-10 00:00:00+00')) AS s(eventId, eventTime)
  ON t.eventId = s.eventId WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *;
INSERT INTO ev.events VALUES (4, TIMESTAMP '2026-03-05 00:00:00+00', DATE '2026-01-01', 'e4');
