-- INSERT as Databricks documents it: VALUES, a query by position, BY NAME, a column list,
-- TABLE as a source; types cast into the table's (store assignment).
CREATE TABLE shop.students (name STRING, address STRING, student_id INT) PARTITIONED BY (student_id);
INSERT INTO shop.students VALUES ('Amy Smith', '123 Park Ave, San Jose', 111111);
INSERT INTO shop.students VALUES
  ('Bob Brown', '456 Taylor St, Cupertino', 222222),
  ('Cathy Johnson', '789 Race Ave, Palo Alto', 333333);
CREATE TABLE shop.persons (name STRING, address STRING, ssn BIGINT);
INSERT INTO shop.persons VALUES ('Dora Williams', '134 Forest Ave, Menlo Park', 123456789), ('Eddie Davis', '245 Market St, Milpitas', 345678901);
INSERT INTO shop.students SELECT name, address, ssn FROM shop.persons WHERE name = 'Dora Williams';
INSERT INTO TABLE shop.students BY NAME SELECT 777777 AS student_id, 'Fleur Laurent' AS name;
INSERT INTO shop.students (address, name, student_id) VALUES ('Hangzhou, China', 'Kent Yu', 11215016);
INSERT INTO shop.persons TABLE shop.persons;
