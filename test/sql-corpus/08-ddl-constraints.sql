-- CREATE TABLE with NOT NULL, comments, partitioning and properties; ALTER TABLE adds columns,
-- sets and unsets properties (the change data feed upgrades the protocol), comments a column,
-- and adds a CHECK constraint (checked against the rows there, then enforced on every write).
CREATE TABLE IF NOT EXISTS fin.ledger (
  id BIGINT NOT NULL COMMENT 'entry id',
  account STRING NOT NULL,
  amount DECIMAL(12, 2),
  booked DATE
) PARTITIONED BY (account) COMMENT 'the general ledger' TBLPROPERTIES ('delta.appendOnly' = 'false', 'owner' = 'finance');
CREATE TABLE IF NOT EXISTS fin.ledger (x INT);
INSERT INTO fin.ledger VALUES (1, 'cash', 100.00, DATE '2026-01-01'), (2, 'bank', -20.50, DATE '2026-01-02');
ALTER TABLE fin.ledger ADD COLUMNS (memo STRING COMMENT 'free text', tags ARRAY<STRING>);
ALTER TABLE fin.ledger SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', 'team' = 'gl');
ALTER TABLE fin.ledger UNSET TBLPROPERTIES ('owner');
ALTER TABLE fin.ledger ALTER COLUMN amount COMMENT 'in EUR';
ALTER TABLE fin.ledger ADD CONSTRAINT id_positive CHECK (id > 0);
INSERT INTO fin.ledger (id, account, amount, memo, tags) VALUES (3, 'cash', 5, 'coffee', ['food']);
UPDATE fin.ledger SET id = -id WHERE id = 3;
