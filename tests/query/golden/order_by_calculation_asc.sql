-- aggregates
SELECT "$service" AS __g0, count(*) AS __c0, avg("n") AS __c1, count(*) AS __matched, count(*) OVER () AS __groups, sum(count(*)) OVER () AS __matched_all
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
GROUP BY __g0
ORDER BY __c1 ASC NULLS LAST, __g0 ASC NULLS LAST
LIMIT $p2 OFFSET $p3
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p2": 100, "p3": 0}

-- events: none

-- totals
SELECT count(*) AS __groups, sum(__n) AS __matched
FROM (SELECT "$service" AS __g0, count(*) AS __n
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
GROUP BY __g0)
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000}

-- series (every group)
SELECT ("$timestamp" // $p4) * $p4 AS __bucket, "$service" AS __g0, count(*) AS __c0, avg("n") AS __c1
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p4": 60000000000}

-- series (top groups only)
SELECT ("$timestamp" // $p4) * $p4 AS __bucket, "$service" AS __g0, count(*) AS __c0, avg("n") AS __c1
FROM "otel"
WHERE "$timestamp" >= $p0 AND "$timestamp" < $p1 AND (__g0 IN ($p5))
GROUP BY 1, 2
ORDER BY 1, 2 ASC NULLS LAST
-- params: {"p0": 1699995600000000000, "p1": 1699999200000000000, "p4": 60000000000, "p5": "a"}
