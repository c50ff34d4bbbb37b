-- INSERT OVERWRITE replaces every row, INSERT INTO … REPLACE WHERE the rows matching its
-- predicate (and refuses new rows outside it), TRUNCATE TABLE removes every file; with the change
-- data feed each shows as deletes and inserts.
CREATE TABLE web.visits (day DATE, page STRING, hits INT) PARTITIONED BY (day) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO web.visits VALUES (DATE '2026-01-01', '/', 10), (DATE '2026-01-01', '/a', 5), (DATE '2026-01-02', '/', 7);
INSERT INTO web.visits REPLACE WHERE day = DATE '2026-01-01' VALUES (DATE '2026-01-01', '/', 11);
INSERT OVERWRITE web.visits SELECT day, page, hits * 2 FROM web.visits WHERE page = '/';
CREATE TABLE web.copy AS SELECT * FROM web.visits;
TRUNCATE TABLE web.copy;
INSERT INTO web.visits REPLACE WHERE day = DATE '2026-01-01' VALUES (DATE '2026-01-05', '/late', 1);
