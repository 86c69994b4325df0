-- aggregates
SELECT count(*) AS __c0, count(*) AS __matched
FROM (SELECT $p0 AS "$dataset", "$timestamp", "$service", "$namespace", "$name", "$message", "http.route", "user.id", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", CAST(NULL AS VARCHAR) AS "severity_text", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "$service", "$namespace", "$name", "$message", CAST(NULL AS VARCHAR) AS "http.route", CAST(NULL AS VARCHAR) AS "user.id", "n", "severity_text", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND (contains(lower("$service"), $p4) OR contains(lower("$namespace"), $p4) OR contains(lower("$name"), $p4) OR contains(lower("$message"), $p4) OR contains(lower("http.route"), $p4) OR contains(lower("user.id"), $p4) OR contains(lower("n"), $p4) OR contains(lower("severity_text"), $p4) OR contains(lower("$attrs"), $p4))
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "boom"}

-- events: none

-- series (every group)
SELECT ("$timestamp" // $p5) * $p5 AS __bucket, count(*) AS __c0
FROM (SELECT $p0 AS "$dataset", "$timestamp", "$service", "$namespace", "$name", "$message", "http.route", "user.id", CASE WHEN "n" = trunc("n") AND abs("n") < 9007199254740992 THEN CAST(CAST("n" AS BIGINT) AS VARCHAR) ELSE CAST("n" AS VARCHAR) END AS "n", CAST(NULL AS VARCHAR) AS "severity_text", "$id", "$attrs" AS "$attrs"
FROM "otel"
UNION ALL SELECT $p1 AS "$dataset", "$timestamp", "$service", "$namespace", "$name", "$message", CAST(NULL AS VARCHAR) AS "http.route", CAST(NULL AS VARCHAR) AS "user.id", "n", "severity_text", "$id", CAST(NULL AS VARCHAR) AS "$attrs"
FROM "logs") AS source
WHERE "$timestamp" >= $p2 AND "$timestamp" < $p3 AND (contains(lower("$service"), $p4) OR contains(lower("$namespace"), $p4) OR contains(lower("$name"), $p4) OR contains(lower("$message"), $p4) OR contains(lower("http.route"), $p4) OR contains(lower("user.id"), $p4) OR contains(lower("n"), $p4) OR contains(lower("severity_text"), $p4) OR contains(lower("$attrs"), $p4))
GROUP BY 1
ORDER BY 1
-- params: {"p0": "otel", "p1": "logs", "p2": 1699995600000000000, "p3": 1699999200000000000, "p4": "boom", "p5": 60000000000}
