-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ("$timestamp" >= $p2 AND "$timestamp" < $p3)
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 1699999200500000000, "p3": 1699999000000000000}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p4) * $p4 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND ("$timestamp" >= $p2 AND "$timestamp" < $p3)
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 1699999200500000000, "p3": 1699999000000000000, "p4": 60000000000}
