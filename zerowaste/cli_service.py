"""`zerowaste serve|rules|pilot|keys`: the service's commands (the service extra)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zerowaste.cli_common import database


def _pilot_purge(args: argparse.Namespace) -> int:
    from zerowaste.service.households import purge_expired
    from zerowaste.service.photos import PhotoStore

    with database() as (settings, session):
        weeks = args.weeks or settings.retention_weeks
        counts = purge_expired(session, weeks, photos=PhotoStore(settings.photo_dir))
    print(json.dumps({"deleted": counts, "retention_weeks": weeks}))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from zerowaste.service.api.observability import configure_logging
    from zerowaste.service.config import get_settings
    from zerowaste.service.db.migrate import upgrade
    from zerowaste.service.server import TcpConfig, serve

    configure_logging()
    settings = get_settings()
    # Once, before the workers start (each still checks under the migration lock: a no-op at head).
    upgrade(settings.sqlalchemy_url)
    config = TcpConfig(
        "zerowaste.service.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        log_config=None,
        access_log=False,
    )
    serve(config)
    return 0


def _rules_load(args: argparse.Namespace) -> int:
    from zerowaste.service.rules import configured_rules, load_rules, read_rules, rules_path

    with database() as (settings, session):
        if args.file or args.municipality:
            rules = read_rules(args.file or rules_path(args.municipality))
        else:
            rules = configured_rules(settings)
        written = load_rules(session, rules, replace=args.replace)
    print(f"{rules.municipality}: wrote {written}")
    return 0


def _rules_geocode(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from zerowaste import atomic
    from zerowaste.service import geocode
    from zerowaste.service.config import get_settings
    from zerowaste.service.rules import read_rules, rules_path

    path = args.file or get_settings().rules_file or rules_path(get_settings().municipality)
    rules = read_rules(path)
    with geocode.client(args.geocoder_url, args.user_agent) as http:
        results = geocode.geocode_offers(rules, geocode.Geocoder(http, interval_s=args.interval))
    found = [r for r in results if isinstance(r, geocode.Found)]
    for r in results:
        if isinstance(r, geocode.Found):
            print(f"{r.key}: {r.lat}, {r.lon}  {r.source}  ({r.found_as})")
        else:
            print(f"{r.key}: no point: {r.reason}", file=sys.stderr)
    if args.write and found:
        text = geocode.with_positions(path.read_text(encoding="utf-8"), found)
        atomic.write_text(path, text)
        try:
            read_rules(path)  # the file still validates; the points lie inside the municipality
        except ValidationError as exc:
            raise SystemExit(f"{path} no longer validates after writing the points: {exc}") from exc
        print(f"{len(found)} points written to {path}; check them, then `zerowaste rules load --replace`")
    elif found:
        print(f"{len(found)} points found; --write adds them to {path}")
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from zerowaste.service.keys import create_key

    with database() as (_settings, session):
        token = create_key(session, args.name, args.role)
    print(f"api key for {args.name} ({args.role}); shown once, store it now:\n{token}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sv = sub.add_parser("serve", help="run the HTTP service (settings: ZEROWASTE_* environment variables)")
    sv.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    sv.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    sv.set_defaults(func=_serve)

    rules = sub.add_parser("rules", help="municipality rules and offers").add_subparsers(
        dest="rules_command", required=True
    )
    rl = rules.add_parser("load", help="validate a rules file and write it into the database")
    rl.add_argument("--municipality", default=None, help="shipped rules to load (default: ZEROWASTE_MUNICIPALITY)")
    rl.add_argument("--file", type=Path, default=None, help="a rules YAML file instead of a shipped one")
    rl.add_argument("--replace", action="store_true", help="the file wins over staff edits (default: keep edits)")
    rl.set_defaults(func=_rules_load)
    rg = rules.add_parser(
        "geocode", help="points for offers without one, from OpenStreetMap (needs internet; service/geocode.py)"
    )
    rg.add_argument("--file", type=Path, default=None, help="the rules YAML (default: the configured one)")
    rg.add_argument("--write", action="store_true", help="add the points to the file (default: print them)")
    rg.add_argument("--geocoder-url", default="https://nominatim.openstreetmap.org", help="a Nominatim server")
    rg.add_argument("--user-agent", default=None, help="who asks (Nominatim's policy wants one that names you)")
    rg.add_argument("--interval", type=float, default=1.0, help="seconds between requests (default: 1, the policy)")
    rg.set_defaults(func=_rules_geocode)

    pilot = sub.add_parser("pilot", help="the weighing pilot's data").add_subparsers(
        dest="pilot_command", required=True
    )
    pp = pilot.add_parser("purge", help="delete weighings and rejected events past the retention period")
    pp.add_argument("--weeks", type=int, default=None, help="retention in weeks (default: ZEROWASTE_RETENTION_WEEKS)")
    pp.set_defaults(func=_pilot_purge)

    keys = sub.add_parser("keys", help="API keys for staff and devices").add_subparsers(
        dest="keys_command", required=True
    )
    kc = keys.add_parser("create", help="create a key (stored hashed; printed once)")
    kc.add_argument("--name", required=True, help="who or what holds the key")
    kc.add_argument(
        "--role",
        required=True,
        choices=["admin", "staff", "metrics"],
        help="what the key may do (metrics: read /metrics only, for a Prometheus scraper; device and household "
        "keys come from the staff API)",
    )
    kc.set_defaults(func=_keys_create)
