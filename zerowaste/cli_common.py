"""What the CLI's commands share: the flags of the commands that answer a photo, and the database."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from zerowaste.model.items import DEFAULT_CATEGORY_THRESHOLD, DEFAULT_ITEM_THRESHOLD, ItemThresholds

if TYPE_CHECKING:  # the service extra is not installed on an edge device
    from sqlalchemy.orm import Session

    from zerowaste.service.config import Settings


def add_answer_flags(parser: argparse.ArgumentParser) -> None:
    """--json, --threads, --lang and the item thresholds: `classify` and `edge classify` answer alike."""
    parser.add_argument("--json", action="store_true", help="one JSON line per image")
    parser.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads, 0 = automatic (default: 0)")
    parser.add_argument("--lang", choices=["de", "en"], default="de", help="language of item names (default: de)")
    parser.add_argument(
        "--item-threshold",
        type=float,
        default=DEFAULT_ITEM_THRESHOLD,
        help=f"show the household item from this probability on (default: {DEFAULT_ITEM_THRESHOLD})",
    )
    parser.add_argument(
        "--category-threshold",
        type=float,
        default=DEFAULT_CATEGORY_THRESHOLD,
        help="without a sure item, show its category (Elektrokleingerät) from this probability on "
        f"(default: {DEFAULT_CATEGORY_THRESHOLD})",
    )


def item_thresholds(args: argparse.Namespace) -> ItemThresholds:
    return ItemThresholds(args.item_threshold, args.category_threshold)


@contextmanager
def database() -> Iterator[tuple[Settings, Session]]:
    """The configured database, migrated to head, and a session on it (for the CLI's database commands)."""
    from sqlalchemy.orm import Session

    from zerowaste.service.config import get_settings
    from zerowaste.service.db.engine import make_engine
    from zerowaste.service.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            yield settings, session
    finally:
        engine.dispose()
