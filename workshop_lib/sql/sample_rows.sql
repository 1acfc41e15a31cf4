-- A few messages as Athena sees them: struct fields are reached with a dot.
SELECT type, event, userId, properties.sku AS sku, properties.price AS price, "timestamp"
FROM {database}.segment_logs
WHERE type = 'track' AND properties.sku IS NOT NULL
ORDER BY "timestamp", messageId
LIMIT 5
