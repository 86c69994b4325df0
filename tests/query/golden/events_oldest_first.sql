-- aggregates: none

-- events
SELECT *
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
ORDER BY "$timestamp" ASC, "$id" ASC
LIMIT $p2 OFFSET $p3
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 100, "p3": 0}
