-- OPTIMIZE … ZORDER BY rewrites every file of the table into files ordered along a Z-order curve
-- of the columns (no data change: the change feed is empty); the rows stay the same.
CREATE TABLE geo.points (x INT, y INT, tag STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO geo.points SELECT (i % 16)::INT, (i // 16)::INT, 'p' || i FROM range(128) t(i);
INSERT INTO geo.points SELECT (i % 16)::INT, (i // 16 + 8)::INT, 'q' || i FROM range(128) t(i);
OPTIMIZE geo.points ZORDER BY (x, y);
