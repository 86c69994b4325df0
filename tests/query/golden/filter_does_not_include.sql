-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(contains("$message", $p2), FALSE))
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "time out"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p3) * $p3 AS __bucket, count(*) AS __c0
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (NOT coalesce(contains("$message", $p2), FALSE))
GROUP BY 1
ORDER BY 1
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": "time out", "p3": 60000000000}
