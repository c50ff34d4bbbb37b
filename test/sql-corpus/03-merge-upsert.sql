-- Databricks' upsert example (people10m / people10mupdates), aliases being the table names,
-- with the change data feed on: updates give pre/post images, inserts give inserts.
CREATE TABLE hr.people10m (id INT, firstName STRING, lastName STRING, salary INT)
  TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO hr.people10m VALUES (1, 'Pennie', 'Carr', 100), (2, 'Jon', 'Doe', 200), (3, 'Ada', 'Byron', 300);
CREATE TABLE hr.people10mupdates (id INT, firstName STRING, lastName STRING, salary INT);
INSERT INTO hr.people10mupdates VALUES (2, 'Jon', 'Doe', 250), (3, 'Ada', 'Byron', 300), (4, 'Grace', 'Hopper', 400);
MERGE INTO hr.people10m
USING hr.people10mupdates
ON people10m.id = people10mupdates.id
WHEN MATCHED THEN
  UPDATE SET
    id = people10mupdates.id,
    firstName = people10mupdates.firstName,
    lastName = people10mupdates.lastName,
    salary = people10mupdates.salary
WHEN NOT MATCHED
  THEN INSERT (id, firstName, lastName, salary)
  VALUES (people10mupdates.id, people10mupdates.firstName, people10mupdates.lastName, people10mupdates.salary);
