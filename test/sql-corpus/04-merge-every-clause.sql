-- Every clause form with a condition, in the shape of Databricks' "NOT MATCHED BY SOURCE" example;
-- NULL keys never match (a NULL source key is inserted, a NULL target key is "not matched by
-- source"); assignments may name the column through the target alias.
CREATE TABLE ops.target (key INT, status STRING, lastSeen DATE) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO ops.target VALUES
  (1, 'active', DATE '2026-01-01'), (2, 'active', DATE '2026-01-01'), (3, 'active', DATE '2026-01-01'),
  (4, 'active', DATE '2025-01-01'), (NULL, 'orphan', DATE '2026-01-01');
MERGE INTO ops.target t
USING (SELECT * FROM (VALUES (1, DATE '2026-02-01', 'upsert'), (2, DATE '2026-02-01', 'delete'), (5, DATE '2026-02-01', 'upsert'),
                             (6, DATE '2026-02-01', 'skip'), (NULL, DATE '2026-02-01', 'upsert')) v(key, ts, op)) s
ON s.key = t.key
WHEN MATCHED AND s.op = 'delete' THEN DELETE
WHEN MATCHED AND s.op = 'upsert' THEN UPDATE SET t.lastSeen = s.ts
WHEN NOT MATCHED BY TARGET AND s.op <> 'skip' THEN INSERT (key, lastSeen, status) VALUES (s.key, s.ts, 'active')
WHEN NOT MATCHED BY SOURCE AND t.lastSeen < DATE '2025-06-01' THEN DELETE
WHEN NOT MATCHED BY SOURCE THEN UPDATE SET status = 'inactive';
