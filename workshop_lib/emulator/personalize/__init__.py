"""Amazon Personalize, emulated for real: the support package of providers/personalize.py.

Modules, one concern each: `validation` (errors and input checks botocore leaves to the server),
`store` (resources and their asynchronous lifecycle), `schemas` (Avro rules), `imports` (CSV
import jobs from S3), `recipes` (the catalogue), `models/` (the recommenders that really train),
`metrics` (Personalize's offline protocol), `filters` (expression grammar), `control` (the control
plane operations), `runtime`, `events` and `batch`.
"""
