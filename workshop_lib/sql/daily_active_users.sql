-- People (known or anonymous) active per day, by the event's own timestamp.
SELECT date(from_iso8601_timestamp("timestamp")) AS day,
       count(DISTINCT coalesce(userId, anonymousId)) AS active_people,
       count(*) AS events
FROM {database}.segment_logs
GROUP BY 1
ORDER BY 1
