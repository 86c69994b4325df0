-- aggregates: none

-- events
SELECT *
FROM (SELECT $p0 AS "$dataset", "$id" AS "$id", "$timestamp" AS "$timestamp", "$service" AS "$service", "$namespace" AS "$namespace", "$kind" AS "$kind", "$name" AS "$name", "$trace_id" AS "$trace_id", "$span_id" AS "$span_id", "$parent_span_id" AS "$parent_span_id", "$duration_ms" AS "$duration_ms", "$level" AS "$level", "$status" AS "$status", "$error" AS "$error", "$message" AS "$message", "http.status_code" AS "http.status_code", "http.route" AS "http.route", "cache.hit" AS "cache.hit", "user.id" AS "user.id", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", CAST(NULL AS VARCHAR) AS "severity_text", "$attrs" AS "$attrs"
FROM "otel"
WHERE "$timestamp" >= $p1 AND "$timestamp" < $p2
UNION ALL SELECT $p3 AS "$dataset", "$id" AS "$id", "$timestamp" AS "$timestamp", "$service" AS "$service", "$namespace" AS "$namespace", "$kind" AS "$kind", "$name" AS "$name", "$trace_id" AS "$trace_id", "$span_id" AS "$span_id", "$parent_span_id" AS "$parent_span_id", "$duration_ms" AS "$duration_ms", "$level" AS "$level", "$status" AS "$status", "$error" AS "$error", "$message" AS "$message", CAST(NULL AS DOUBLE) AS "http.status_code", CAST(NULL AS VARCHAR) AS "http.route", CAST(NULL AS BOOLEAN) AS "cache.hit", CAST(NULL AS VARCHAR) AS "user.id", "n" AS "n", "severity_text" AS "severity_text", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs"
WHERE "$timestamp" >= $p4 AND "$timestamp" < $p5) AS source
WHERE TRUE
ORDER BY "$timestamp" DESC, "$id" DESC
LIMIT $p6 OFFSET $p7
-- params: {"p0": "otel", "p1": 1699995600000000000, "p2": 1699999200000000000, "p3": "logs", "p4": 1699995600000000000, "p5": 1699999200000000000, "p6": 5, "p7": 0}
