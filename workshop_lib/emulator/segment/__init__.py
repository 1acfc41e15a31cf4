"""The local Segment: Tracking API, workspace (sources, destinations), S3 and Lambda
destinations, profiles and the Profile API. `providers/segment.py` mounts it under /_segment/."""

PATH_PREFIX = "/_segment"
