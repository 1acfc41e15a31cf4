-- The Glue job's rule in SQL, to check its output: product events with a SKU whose person is
-- known (their own userId, or the user an identify call tied their anonymousId to), each
-- messageId once.
WITH messages AS (
  SELECT *, row_number() OVER (PARTITION BY messageId ORDER BY receivedAt) AS copy
  FROM {database}.segment_logs
),
identities AS (
  SELECT anonymousId, max_by(userId, "timestamp") AS userId
  FROM messages
  WHERE copy = 1 AND type = 'identify' AND anonymousId <> '' AND userId <> ''
  GROUP BY anonymousId
)
SELECT count(*) AS interactions,
       count(DISTINCT coalesce(nullif(m.userId, ''), i.userId)) AS users,
       count(DISTINCT m.properties.sku) AS items
FROM messages m
LEFT JOIN identities i ON m.anonymousId = i.anonymousId
WHERE m.copy = 1
  AND m.type = 'track'
  AND m.event IN ('Product Clicked', 'Product Viewed', 'Product Added', 'Order Completed')
  AND m.properties.sku <> ''
  AND m."timestamp" <> ''
  AND coalesce(nullif(m.userId, ''), i.userId) IS NOT NULL
