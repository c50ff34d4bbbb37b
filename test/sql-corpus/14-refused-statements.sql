-- Statements that would write somewhere other than the lake's tables are refused by name before
-- anything runs: DuckDB's CREATE VIEW here is the second statement, so nothing at all runs.
CREATE TABLE x.t (id INT);
CREATE VIEW v AS SELECT 1;
