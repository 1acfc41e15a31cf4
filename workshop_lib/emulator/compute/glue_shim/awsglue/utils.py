"""`getResolvedOptions` as in AWS Glue: read --NAME value pairs from sys.argv."""

from __future__ import annotations

import argparse


class GlueArgumentError(Exception):
    pass


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:
    """The values of the named job arguments; a missing one is an error, as in Glue."""
    parser = argparse.ArgumentParser(add_help=False)
    for option in options:
        parser.add_argument(f"--{option}", required=True)
    try:
        known, _ = parser.parse_known_args(args[1:])
    except SystemExit:
        missing = [o for o in options if f"--{o}" not in args]
        raise GlueArgumentError(
            "the following arguments are required: " + ", ".join(f"--{o}" for o in missing)
        ) from None
    return vars(known)
