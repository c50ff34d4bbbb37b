-- SHALLOW CLONE: the clone's files are the source's (absolute paths, nothing copied), with its
-- definition and properties; changing the clone leaves the source alone; VACUUM of the clone
-- never lists the source's files.
CREATE TABLE prod.orders (id INT, amount INT) TBLPROPERTIES ('owner' = 'sales');
INSERT INTO prod.orders VALUES (1, 10), (2, 20);
INSERT INTO prod.orders VALUES (3, 30);
CREATE TABLE dev.orders SHALLOW CLONE prod.orders VERSION AS OF 1 TBLPROPERTIES ('env' = 'dev');
UPDATE dev.orders SET amount = 0 WHERE id = 1;
