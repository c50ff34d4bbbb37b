-- NOT NULL is enforced on write; a CHECK that rows already break is refused; ADD COLUMNS with
-- NOT NULL is refused (rows there would have no value).
CREATE TABLE fin.t (id INT NOT NULL, v INT);
INSERT INTO fin.t VALUES (1, -5);
ALTER TABLE fin.t ADD CONSTRAINT v_positive CHECK (v > 0);
