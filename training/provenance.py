"""What a release records about how it was made: the command that made it and when."""

from __future__ import annotations

import datetime
import shlex
import sys


def command_line() -> str:
    return "zerowaste train " + shlex.join(sys.argv[2:]) if len(sys.argv) > 1 else "zerowaste train"


def timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
