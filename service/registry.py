"""The model registry: uploads, the gate's verdict, signatures, channels, promote / roll back, audit.

Every change is one transaction with its audit row. The gate runs outside the request (it scores two
models on the fixed test set); a model left `validating` by a crash is validated again at start-up.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zerowaste.model import signing
from zerowaste.model.runtime import OnnxClassifier
from zerowaste.model.spec import file_sha256
from zerowaste.service.config import Settings
from zerowaste.service.db.models import ChannelAssignment, ModelAudit, ModelVersion
from zerowaste.service.errors import Conflict, InvalidInput
from zerowaste.service.model_gate import Check, FixedTestSet, run_gate, score_model
from zerowaste.service.model_store import ModelStore

log = logging.getLogger(__name__)
CHANNELS = ("stable", "canary")
SYSTEM = "system"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured key; on a first start without one, a new key in the data folder (logged with its
    public half, which devices must be given)."""
    path = settings.model_signing_key_path
    if path.exists():
        return signing.load_private_key(path)
    try:
        key = signing.generate_private_key(path)
    except FileExistsError:  # another worker made it a moment ago
        return signing.load_private_key(path)
    log.warning(
        "created model signing key %s; devices trust public key %s", path, signing.public_key_text(key.public_key())
    )
    return key


def public_key(key: Ed25519PrivateKey) -> str:
    return signing.public_key_text(key.public_key())


def audit(
    session: Session,
    actor: str,
    action: str,
    *,
    model_id: int | None = None,
    channel: str | None = None,
    reason: str = "",
    **detail: Any,
) -> None:
    session.add(
        ModelAudit(
            at=now(), actor=actor, action=action, model_id=model_id, channel=channel, reason=reason, detail=detail
        )
    )


def current(session: Session, channel: str) -> ChannelAssignment | None:
    return session.scalars(
        select(ChannelAssignment)
        .where(ChannelAssignment.channel == channel)
        .order_by(ChannelAssignment.id.desc())
        .limit(1)
    ).first()


def for_device(session: Session, channel: str) -> tuple[str, ModelVersion] | None:
    """A canary device with no canary model runs the stable one."""
    for name in dict.fromkeys((channel, "stable")):
        row = current(session, name)
        if row is not None:
            return name, session.get_one(ModelVersion, row.model_id)
    return None


def _sign(model: ModelVersion, key: Ed25519PrivateKey) -> None:
    model.signature = signing.sign(key, model.sha256, model.size)
    model.key_id = signing.key_id(public_key(key))


def bootstrap(session: Session, store: ModelStore, key: Ed25519PrivateKey, served: OnnxClassifier) -> None:
    """An empty registry starts with the model the service runs, on the stable channel, so devices have
    something to fetch and the first candidate something to be compared with."""
    if session.scalars(select(ModelVersion.id).limit(1)).first() is not None:
        return
    path = store.add_file(served.path, served.sha256)
    model = ModelVersion(
        sha256=served.sha256,
        size=path.stat().st_size,
        precision=served.spec.precision,
        taxonomy_version=served.spec.taxonomy_version,
        spec=_spec_dict(served),
        card=_card_beside(served.path),
        note="the model this service started with",
        uploaded_by=SYSTEM,
        uploaded_at=now(),
        status="accepted",
        progress=1.0,
        report={"bootstrap": True, "passed": True, "checks": []},
    )
    _sign(model, key)
    session.add(model)
    try:
        session.flush()
        _assign(session, "stable", model, SYSTEM, "registry started with the served model", "promote")
        session.commit()
    except IntegrityError:  # another worker bootstrapped at the same moment
        session.rollback()


def _spec_dict(clf: OnnxClassifier) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(clf.spec.to_json())
    spec.pop("item_labels", None)  # 1000 ImageNet names: in the file, not needed in every row
    return spec


def _card_beside(path: Path) -> str:
    card = path.parent / "MODEL_CARD.md"
    return card.read_text(encoding="utf-8") if card.is_file() else ""


def register(session: Session, sha256: str, size: int, actor: str, card: str, note: str) -> ModelVersion:
    """A new upload, `validating` until the gate has spoken. Conflict for a file the registry has."""
    known = session.scalars(select(ModelVersion).where(ModelVersion.sha256 == sha256)).first()
    if known is not None:
        raise Conflict(f"this file is model {known.id} ({known.status})")
    model = ModelVersion(
        sha256=sha256,
        size=size,
        precision="?",
        taxonomy_version="?",
        spec={},
        card=card,
        note=note,
        uploaded_by=actor,
        uploaded_at=now(),
        status="validating",
        report={},
    )
    session.add(model)
    session.flush()
    audit(session, actor, "upload", model_id=model.id, reason=note, sha256=sha256, size=size)
    session.commit()
    return model


def baseline_scorer(
    session_factory: Callable[[], Session], store: ModelStore, testset: FixedTestSet
) -> Callable[[], tuple[str, dict[str, Any]]] | None:
    """The stable model's score on `testset`, cached in its row (a test set is identified by its hash)."""
    with session_factory() as session:
        row = current(session, "stable")
        if row is None:
            return None
        model_id = row.model_id

    def score() -> tuple[str, dict[str, Any]]:
        with session_factory() as session:
            model = session.get_one(ModelVersion, model_id)
            cached = model.scores.get(testset.sha256)
            if cached is None:
                cached, _ = score_model(OnnxClassifier(store.path(model.sha256)), testset)
                model.scores = {**model.scores, testset.sha256: cached}
                session.commit()
            return model.sha256, cached

    return score


def validate(
    session_factory: Callable[[], Session], store: ModelStore, settings: Settings, key: Ed25519PrivateKey, model_id: int
) -> ModelVersion:
    """Run the gate on an uploaded model and record the verdict; a passing model is signed."""
    with session_factory() as session:
        model = session.get_one(ModelVersion, model_id)
        path = store.path(model.sha256)

    def progress(fraction: float) -> None:
        with session_factory() as s:
            s.get_one(ModelVersion, model_id).progress = round(fraction, 3)
            s.commit()

    testset = None
    testset_error = None
    if settings.gate_testset is not None:
        try:
            testset = FixedTestSet.from_manifest(settings.gate_testset)
        except (OSError, ValueError) as exc:
            testset_error = str(exc)
    baseline = baseline_scorer(session_factory, store, testset) if testset is not None else None
    report = run_gate(
        path,
        testset,
        baseline,
        top1_tolerance=settings.gate_top1_tolerance,
        max_recall_drop=settings.gate_max_recall_drop,
        progress=progress,
    )
    if testset_error:  # configured but unusable: say what is wrong with it, not that it is missing
        report.checks = [c for c in report.checks if c.name != "testset"] + [Check("testset", False, testset_error)]
        report.passed = False
    with session_factory() as session:
        model = session.get_one(ModelVersion, model_id)
        try:
            clf = OnnxClassifier(path)
            model.precision, model.taxonomy_version = clf.spec.precision, clf.spec.taxonomy_version
            model.spec = _spec_dict(clf)
        except Exception:  # noqa: BLE001 - the report already says why it does not load
            pass
        model.report = report.to_dict()
        model.progress = 1.0
        if report.candidate is not None and report.testset_sha256:
            model.scores = {report.testset_sha256: report.candidate}
        model.status = "accepted" if report.passed else "refused"
        if report.passed:
            _sign(model, key)
        audit(
            session,
            SYSTEM,
            "gate-" + model.status,
            model_id=model.id,
            reason="; ".join(report.reasons) or "every check passed",
            baseline=report.baseline_sha256,
            testset=report.testset_sha256,
        )
        session.commit()
        log.info("model %d %s: %s", model.id, model.status, report.reasons or "all checks passed")
        return model


def _assign(
    session: Session,
    channel: str,
    model: ModelVersion,
    actor: str,
    reason: str,
    action: str,
    previous_id: int | None = None,
) -> ChannelAssignment:
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}")
    row = ChannelAssignment(
        channel=channel, model_id=model.id, previous_id=previous_id, action=action, actor=actor, reason=reason, at=now()
    )
    session.add(row)
    audit(session, actor, action, model_id=model.id, channel=channel, reason=reason)
    return row


def promote(session: Session, model: ModelVersion, channel: str, actor: str, reason: str) -> ChannelAssignment:
    if model.status != "accepted" or not model.signature:
        raise Conflict(f"model {model.id} is {model.status}; only a model the gate accepted can be promoted")
    was = current(session, channel)
    if was is not None and was.model_id == model.id:
        raise Conflict(f"model {model.id} is already on {channel}")
    row = _assign(session, channel, model, actor, reason, "promote", previous_id=was.id if was else None)
    session.commit()
    return row


def rollback(session: Session, channel: str, actor: str, reason: str) -> ChannelAssignment:
    was = current(session, channel)
    if was is None or was.previous_id is None:
        raise Conflict(f"{channel} has no earlier model to roll back to")
    before = session.get_one(ChannelAssignment, was.previous_id)
    row = _assign(
        session,
        channel,
        session.get_one(ModelVersion, before.model_id),
        actor,
        reason,
        "rollback",
        previous_id=before.previous_id,
    )
    session.commit()
    return row


def pending(session: Session) -> list[int]:
    return list(session.scalars(select(ModelVersion.id).where(ModelVersion.status == "validating")))


def verify_stored(store: ModelStore, model: ModelVersion) -> bool:
    """Bytes on disk still those the registry signed (a disk error must not reach a device)."""
    path = store.path(model.sha256)
    return path.is_file() and path.stat().st_size == model.size and file_sha256(path) == model.sha256
