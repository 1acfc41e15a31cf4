-- What Personalize will learn from: product events of known users that name a SKU.
SELECT event AS event_type,
       count(*) AS events,
       count(DISTINCT userId) AS users,
       count(DISTINCT properties.sku) AS items
FROM {database}.segment_logs
WHERE type = 'track'
  AND event IN ('Product Clicked', 'Product Viewed', 'Product Added', 'Order Completed')
  AND userId IS NOT NULL
  AND properties.sku IS NOT NULL
GROUP BY event
ORDER BY events DESC
