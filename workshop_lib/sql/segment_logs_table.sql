-- The Segment S3 destination's logs as an Athena table: one row per Segment message.
-- Each line of the gzipped files is one JSON message; the OpenX JSON SerDe maps JSON keys to
-- columns case-insensitively (so `anonymousId` fills `anonymousid`). A trait whose name has a
-- space (common for traits computed in Segment Engage, e.g. "Favorite Departments") cannot be a
-- column name: the `mapping.*` properties map such keys to Athena-safe names.
-- {database} and {bucket} are filled in by workshop_lib.athena.
CREATE EXTERNAL TABLE IF NOT EXISTS {database}.segment_logs (
  anonymousId string,
  channel string,
  context struct<ip:string,
    library:struct<name:string, version:string>,
    page:struct<path:string, url:string, title:string>>,
  event string,
  messageId string,
  name string,
  originalTimestamp string,
  projectId string,
  properties struct<sku:string,
    product_id:string,
    name:string,
    category:string,
    brand:string,
    price:double,
    quantity:int,
    order_id:string,
    revenue:double,
    campaign_name:string>,
  traits struct<email:string,
    first_name:string,
    last_name:string,
    city:string,
    favorite_departments:string,
    lifetime_value:double>,
  receivedAt string,
  sentAt string,
  `timestamp` string,
  type string,
  userId string,
  version int,
  writeKey string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'ignore.malformed.json' = 'true',
  'mapping.favorite_departments' = 'Favorite Departments',
  'mapping.lifetime_value' = 'Lifetime Value'
)
LOCATION 's3://{bucket}/segment-logs/'
