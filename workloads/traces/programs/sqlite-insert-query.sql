-- Recorded by scripts/record-traces: sqlite3 :memory: < this file.
-- Creates two tables, inserts 20000 rows through a recursive CTE, builds
-- an index, and runs joins, aggregates and sorts over them.
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customers SELECT i, 'customer-' || i, 'city-' || (i % 37) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 2000, (i * 31 % 1000) / 7.0, printf('note %d %s', i, hex(randomblob(i % 24))) FROM n;
CREATE INDEX orders_by_customer ON orders(customer);
SELECT c.city, count(*), round(sum(o.amount), 2) FROM customers c JOIN orders o ON o.customer = c.id
  GROUP BY c.city ORDER BY 3 DESC LIMIT 5;
SELECT name FROM customers WHERE id IN (SELECT customer FROM orders WHERE amount > 140) ORDER BY name LIMIT 3;
SELECT group_concat(note, ';') IS NOT NULL FROM (SELECT note FROM orders ORDER BY note DESC LIMIT 500);
UPDATE orders SET note = upper(note) WHERE id % 5 = 0;
DELETE FROM orders WHERE amount < 10;
SELECT count(*), max(length(note)) FROM orders;
