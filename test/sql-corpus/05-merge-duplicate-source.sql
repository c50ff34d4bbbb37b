-- Two source rows match one target row that a clause would change: Delta's multiple-match error,
-- and nothing is committed.
CREATE TABLE ops.accounts (id INT, balance INT);
INSERT INTO ops.accounts VALUES (1, 10), (2, 20);
MERGE INTO ops.accounts a USING (VALUES (1, 5), (1, 7), (3, 1)) AS s(id, delta) ON a.id = s.id
  WHEN MATCHED THEN UPDATE SET balance = a.balance + s.delta
  WHEN NOT MATCHED THEN INSERT (id, balance) VALUES (s.id, s.delta);
