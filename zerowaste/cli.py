"""The one console script: `zerowaste <command>`. Heavy imports happen inside each command, so
`zerowaste classify` on an edge device never imports torch. Each area's commands live in their own
module: cli_model (data, train, evaluate, classify), cli_edge, cli_service, cli_labels."""

from __future__ import annotations

import argparse
import logging
import sys

from zerowaste import cli_contamination, cli_edge, cli_labels, cli_model, cli_service


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zerowaste", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for area in (cli_model, cli_edge, cli_service, cli_labels, cli_contamination):
        area.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
