-- UPDATE and DELETE on a partitioned table with the change data feed: a predicate on the
-- partition column reads and rewrites only that partition's file; an update that changes no
-- value writes nothing; a subquery in the condition reads another lake table.
CREATE TABLE sales.events (id INT, region STRING, amount INT) PARTITIONED BY (region)
  TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true');
INSERT INTO sales.events VALUES (1, 'eu', 10), (2, 'eu', 20), (3, 'us', 30), (4, 'us', 40), (5, 'apac', 50);
UPDATE sales.events SET amount = amount + 1 WHERE region = 'eu' AND id = 1;
UPDATE sales.events SET amount = amount WHERE region = 'us';
CREATE TABLE sales.blocked (id INT);
INSERT INTO sales.blocked VALUES (4), (5);
DELETE FROM sales.events e WHERE e.id IN (SELECT id FROM sales.blocked) AND e.region = 'us';
DELETE FROM sales.events WHERE amount > 1000;
