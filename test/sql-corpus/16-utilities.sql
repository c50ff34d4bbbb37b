-- OPTIMIZE with a partition predicate compacts only those partitions; VACUUM … DRY RUN lists
-- what it would delete; SHOW TABLES with a LIKE pattern; DESCRIBE TABLE EXTENDED.
CREATE TABLE logs.app (level STRING, msg STRING, day STRING) PARTITIONED BY (day) COMMENT 'app logs';
INSERT INTO logs.app VALUES ('info', 'a', 'd1');
INSERT INTO logs.app VALUES ('warn', 'b', 'd1');
INSERT INTO logs.app VALUES ('info', 'c', 'd2');
INSERT INTO logs.app VALUES ('info', 'd', 'd2');
OPTIMIZE logs.app WHERE day = 'd1';
CREATE TABLE logs.audit (x INT);
CREATE TABLE other.audit (x INT);
