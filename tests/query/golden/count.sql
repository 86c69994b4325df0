-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p2) * $p2 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 60000000000}
