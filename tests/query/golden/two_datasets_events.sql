-- aggregates: none

-- events
SELECT *
FROM (SELECT $p0 AS "$dataset", "$id", "$timestamp", "$service", "$namespace", "$kind", "$name", "$trace_id", "$span_id", "$parent_span_id", "$duration_ms", "$level", "$status", "$error", "$message", "http.status_code", "http.route", "cache.hit", "user.id", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", CAST(NULL AS VARCHAR) AS "severity_text", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$id", "$timestamp", "$service", "$namespace", "$kind", "$name", "$trace_id", "$span_id", "$parent_span_id", "$duration_ms", "$level", "$status", "$error", "$message", CAST(NULL AS DOUBLE) AS "http.status_code", CAST(NULL AS VARCHAR) AS "http.route", CAST(NULL AS BOOLEAN) AS "cache.hit", CAST(NULL AS VARCHAR) AS "user.id", "n", "severity_text", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3
ORDER BY "$timestamp" DESC, "$id" DESC
LIMIT $p4 OFFSET $p5
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": 5, "p5": 0}
