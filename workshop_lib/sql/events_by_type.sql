-- How many messages of each kind: track events by name, other calls by type.
SELECT type, coalesce(event, '(' || type || ')') AS event, count(*) AS events
FROM {database}.segment_logs
GROUP BY 1, 2
ORDER BY events DESC, type, event
