"""`python -m workshop_lib.datagen --preset default --out data/sample [--users N --days N ...]`"""

from __future__ import annotations

import argparse
import time

from . import PRESETS, generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m workshop_lib.datagen",
        description="Write Segment S3-destination logs and a product catalogue CSV.",
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--out", required=True, help="output folder (segment-logs/ goes inside)")
    parser.add_argument("--users", type=int, help="registered users (overrides the preset)")
    parser.add_argument("--days", type=int, help="days of history (overrides the preset)")
    parser.add_argument("--products", type=int, help="catalogue size (overrides the preset)")
    parser.add_argument("--seed", type=int, help="random seed (overrides the preset)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    summary = generate(
        args.out, args.preset, users=args.users, days=args.days, seed=args.seed,
        products=args.products,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    print(
        f"Wrote {summary.events:,} events from {summary.users:,} users on {summary.products} "
        f"products into {summary.files} files ({summary.bytes / 1e6:.1f} MB) under "
        f"{summary.out} in {seconds:.1f} s."
    )


if __name__ == "__main__":
    main()
