-- program:sqlite3 (stalloc-bench run): sqlite3 :memory: reading this file.
-- Two tables, 200,000 orders inserted through a recursive CTE, an index, and
-- joins, aggregates and sorts over them.
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount INTEGER, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO customers SELECT i, 'customer-' || i, 'city-' || (i % 97) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO orders SELECT i, (i * 7919) % 5000 + 1, (i * 104729) % 10007,
                          printf('note %d %s', i, substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26))
FROM n;
CREATE INDEX orders_by_customer ON orders(customer);
SELECT c.city, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer
GROUP BY c.city ORDER BY sum(o.amount) DESC LIMIT 5;
SELECT customer, group_concat(id, ' ') FROM (SELECT * FROM orders ORDER BY note DESC LIMIT 2000)
GROUP BY customer ORDER BY customer LIMIT 3;
SELECT count(DISTINCT note), max(length(note)) FROM orders;
