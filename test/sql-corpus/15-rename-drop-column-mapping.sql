-- RENAME COLUMN and DROP COLUMN turn column mapping on as Delta does (existing columns keep
-- their names as physical names); later writes, updates, merges and new columns work through
-- the mapping, and the change feed reads the new names.
CREATE TABLE app.users (id INT, name STRING, email STRING, country STRING) PARTITIONED BY (country)
  TBLPROPERTIES (delta.enableChangeDataFeed = true);
INSERT INTO app.users VALUES (1, 'ann', 'a@x', 'de'), (2, 'bob', 'b@x', 'fr');
ALTER TABLE app.users RENAME COLUMN name TO full_name;
ALTER TABLE app.users DROP COLUMN email;
ALTER TABLE app.users RENAME COLUMN country TO land;
ALTER TABLE app.users ADD COLUMNS (email STRING, prefs STRUCT<theme: STRING>);
INSERT INTO app.users VALUES (3, 'cy', 'it', 'c@new', {'theme': 'dark'});
UPDATE app.users SET full_name = upper(full_name) WHERE land = 'de';
MERGE INTO app.users u USING (VALUES (2, 'bobby', 'fr', 'b@new')) AS s(id, full_name, land, email) ON u.id = s.id
  WHEN MATCHED THEN UPDATE SET full_name = s.full_name, email = s.email;
