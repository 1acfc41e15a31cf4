"""The Glue ETL job script (a Python shell job using awswrangler)."""
