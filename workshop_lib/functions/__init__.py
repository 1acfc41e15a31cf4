"""Lambda function sources (stdlib + boto3 only), deployed as zip files on both targets."""
