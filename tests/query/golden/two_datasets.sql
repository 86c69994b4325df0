-- aggregates
SELECT "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0, count(*) AS __matched, count(*) OVER () AS __groups, sum(count(*)) OVER () AS __matched_all
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND ("n" = $p3)
UNION ALL SELECT $p4 AS "$dataset", "$timestamp" AS "$timestamp", "n" AS "n", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p5 AND "$timestamp" < $p6 AND ("n" = $p7)) AS source
WHERE TRUE
GROUP BY __g0, __g1
ORDER BY __c0 DESC NULLS LAST, __g0 ASC NULLS LAST, __g1 ASC NULLS LAST
LIMIT $p8 OFFSET $p9
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": 2.0, "p4": "logs", "p5": 1699995600000000000, "p6": 1699999200000000000, "p7": "2", "p8": 100, "p9": 0}

-- events: none

-- totals
SELECT count(*) AS __groups, sum(__n) AS __matched
FROM (SELECT "$dataset" AS __g0, "n" AS __g1, count(*) AS __n
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND ("n" = $p3)
UNION ALL SELECT $p4 AS "$dataset", "$timestamp" AS "$timestamp", "n" AS "n", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p5 AND "$timestamp" < $p6 AND ("n" = $p7)) AS source
WHERE TRUE
GROUP BY __g0, __g1)
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": 2.0, "p4": "logs", "p5": 1699995600000000000, "p6": 1699999200000000000, "p7": "2"}

-- series (every group)
SELECT ("$timestamp" // $p10) * $p10 AS __bucket, "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND ("n" = $p3)
UNION ALL SELECT $p4 AS "$dataset", "$timestamp" AS "$timestamp", "n" AS "n", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p5 AND "$timestamp" < $p6 AND ("n" = $p7)) AS source
WHERE TRUE
GROUP BY 1, 2, 3
ORDER BY 1, 2 ASC NULLS LAST, 3 ASC NULLS LAST
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": 2.0, "p4": "logs", "p5": 1699995600000000000, "p6": 1699999200000000000, "p7": "2", "p10": 60000000000}

-- series (top groups only)
SELECT ("$timestamp" // $p10) * $p10 AS __bucket, "$dataset" AS __g0, "n" AS __g1, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp" AS "$timestamp", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", "$id" AS "$id", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2 AND ("n" = $p3)
UNION ALL SELECT $p4 AS "$dataset", "$timestamp" AS "$timestamp", "n" AS "n", "$id" AS "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p5 AND "$timestamp" < $p6 AND ("n" = $p7)) AS source
WHERE TRUE AND ((__g0 = $p11 AND __g1 IS NULL))
GROUP BY 1, 2, 3
ORDER BY 1, 2 ASC NULLS LAST, 3 ASC NULLS LAST
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": 2.0, "p4": "logs", "p5": 1699995600000000000, "p6": 1699999200000000000, "p7": "2", "p10": 60000000000, "p11": "a"}
