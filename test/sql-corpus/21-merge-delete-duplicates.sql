-- A MERGE whose only matched clause is an unconditional DELETE may match a target row with
-- several source rows (Delta allows it): the row is deleted once, with one change row.
CREATE TABLE ops.sessions (id INT, user STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO ops.sessions VALUES (1, 'a'), (2, 'b'), (3, 'c');
MERGE INTO ops.sessions t USING (VALUES (1), (1), (3)) AS s(id) ON t.id = s.id WHEN MATCHED THEN DELETE;
