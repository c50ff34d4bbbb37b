-- By position the column counts must agree; the error names the statement and where it is.
CREATE TABLE shop.t (id INT, v STRING);
INSERT INTO shop.t VALUES (1, 'a');
INSERT INTO shop.t VALUES (2, 'b', 'extra');
INSERT INTO shop.t VALUES (3, 'never');
