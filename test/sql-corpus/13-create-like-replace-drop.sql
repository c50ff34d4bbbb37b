-- CREATE TABLE … LIKE copies the definition (not the rows); CREATE OR REPLACE TABLE keeps the
-- history (time travel to before it works); DROP TABLE [IF EXISTS]; an existing table is an error.
CREATE TABLE dim.colors (id INT NOT NULL, name STRING COMMENT 'display name') PARTITIONED BY (id) TBLPROPERTIES ('team' = 'ux');
INSERT INTO dim.colors VALUES (1, 'red'), (2, 'green');
CREATE TABLE dim.colors2 LIKE dim.colors;
CREATE OR REPLACE TABLE dim.colors AS SELECT 'blue' AS name, 3 AS code;
DROP TABLE IF EXISTS dim.nothing;
CREATE TABLE dim.gone (x INT);
DROP TABLE dim.gone;
CREATE TABLE dim.colors2 (x INT);
