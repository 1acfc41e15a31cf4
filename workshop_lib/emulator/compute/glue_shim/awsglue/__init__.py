"""A stand-in for the `awsglue` package of AWS Glue Python shell jobs (local emulator only).

Only `awsglue.utils.getResolvedOptions` exists here: the one piece Python shell scripts use.
"""
