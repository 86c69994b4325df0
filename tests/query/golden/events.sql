-- aggregates: none

-- events
SELECT *
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ("$service" = $p2)
ORDER BY "$timestamp" DESC, "$id" DESC
LIMIT $p3 OFFSET $p4
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "checkout", "p3": 20, "p4": 40}
