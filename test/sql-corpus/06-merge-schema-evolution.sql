-- MERGE WITH SCHEMA EVOLUTION: UPDATE SET * / INSERT * add the source's new column; without it,
-- INSERT * ignores extra source columns (here the first MERGE) and the table keeps its schema.
CREATE TABLE crm.customers (id BIGINT, name STRING);
INSERT INTO crm.customers VALUES (1, 'ann'), (2, 'bob');
MERGE INTO crm.customers c USING (SELECT 3::BIGINT AS id, 'cy' AS name, 'gold' AS tier) s ON c.id = s.id
  WHEN NOT MATCHED THEN INSERT *;
MERGE WITH SCHEMA EVOLUTION INTO crm.customers c
USING (VALUES (2::BIGINT, 'bobby', 'silver'), (4::BIGINT, 'dee', 'gold')) AS s(id, name, tier) ON c.id = s.id
  WHEN MATCHED THEN UPDATE SET *
  WHEN NOT MATCHED THEN INSERT *;
