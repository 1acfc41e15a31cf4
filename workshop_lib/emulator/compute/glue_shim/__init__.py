"""Put this folder on a Glue job's PYTHONPATH: it holds the `awsglue` stand-in."""
