-- Clause conditions and values may hold subqueries over other lake tables; a matched update
-- that changes nothing is counted as updated but writes no file and no change rows.
CREATE TABLE ops.prices (sku STRING, price INT) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO ops.prices VALUES ('a', 10), ('b', 20), ('c', 30);
CREATE TABLE ops.vip (sku STRING);
INSERT INTO ops.vip VALUES ('b');
MERGE INTO ops.prices p USING (VALUES ('a', 10), ('b', 25), ('d', 40)) AS s(sku, price) ON p.sku = s.sku
  WHEN MATCHED AND s.sku IN (SELECT sku FROM ops.vip) THEN UPDATE SET price = s.price - (SELECT count(*) FROM ops.vip)
  WHEN MATCHED THEN UPDATE SET price = s.price
  WHEN NOT MATCHED AND s.sku NOT IN (SELECT sku FROM ops.vip) THEN INSERT *;
UPDATE ops.prices SET price = price WHERE sku = 'c';
