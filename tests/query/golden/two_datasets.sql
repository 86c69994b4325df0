-- aggregates
SELECT "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0, count(*) AS __matched, count(*) OVER () AS __groups, sum(count(*)) OVER () AS __matched_all
FROM (SELECT $p0 AS "$dataset", "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "n", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND ("n" = $p4)
GROUP BY __g0, __g1
ORDER BY __c0 DESC NULLS LAST, __g0 ASC NULLS LAST, __g1 ASC NULLS LAST
LIMIT $p5 OFFSET $p6
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "2", "p5": 100, "p6": 0}

-- events: none

-- totals
SELECT count(*) AS __groups, sum(__n) AS __matched
FROM (SELECT "$dataset" AS __g0, "n" AS __g1, count(*) AS __n
FROM (SELECT $p0 AS "$dataset", "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "n", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND ("n" = $p4)
GROUP BY __g0, __g1)
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "2"}

-- series (every group)
SELECT ("$timestamp" // $p7) * $p7 AS __bucket, "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "n", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND ("n" = $p4)
GROUP BY 1, 2, 3
ORDER BY 1, 2 ASC NULLS LAST, 3 ASC NULLS LAST
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "2", "p7": 60000000000}

-- series (top groups only)
SELECT ("$timestamp" // $p7) * $p7 AS __bucket, "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "n", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND ("n" = $p4) AND ((__g0 = $p8 AND __g1 IS NULL))
GROUP BY 1, 2, 3
ORDER BY 1, 2 ASC NULLS LAST, 3 ASC NULLS LAST
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "2", "p7": 60000000000, "p8": "a"}
