-- Names as Databricks writes them: zone.t@v1, delta.`path`@v1, VERSION AS OF in a source;
-- RESTORE TABLE … TO VERSION AS OF: a new commit whose change feed shows what it undid;
-- table_changes by 'delta.`path`' and table_changes_by_path.
CREATE TABLE inv.stock (sku STRING, qty INT) TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO inv.stock VALUES ('a', 1), ('b', 2);
INSERT INTO inv.stock VALUES ('c', 3);
DELETE FROM inv.stock WHERE sku = 'a';
CREATE TABLE inv.snapshot1 AS SELECT * FROM inv.stock@v1;
CREATE TABLE inv.snapshot2 AS SELECT * FROM delta.`inv/stock`@v2;
RESTORE TABLE inv.stock TO VERSION AS OF 1;
