"""The model `POST /v1/classify` runs: the stable channel's, followed without a restart.

Each worker process checks the registry at most every `model_follow_interval_s` seconds. A request
that finds the check due loads the new file while the other requests go on with the current model,
and a file that does not load (or whose bytes are not those the registry signed) is never served:
that promotion is skipped, and the next promotion or rollback of the channel is tried again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from zerowaste.model.runtime import Classifier, create_classifier
from zerowaste.service import registry
from zerowaste.service.db.models import ModelVersion
from zerowaste.service.model_store import ModelStore

log = logging.getLogger(__name__)


class ServedModel:
    def __init__(
        self,
        classifier: Classifier,
        store: ModelStore,
        session_factory: Callable[[], Session],
        *,
        follow: bool,
        interval_s: float,
        threads: int,
    ) -> None:
        self._classifier = classifier
        self._store = store
        self._session_factory = session_factory
        self._follow = follow
        self._interval_s = interval_s
        self._threads = threads
        self._checked = -float("inf")
        self._skipped: set[int] = set()  # channel assignments whose model did not load
        self._lock = threading.Lock()

    def get(self) -> Classifier:
        if self._follow and time.monotonic() - self._checked >= self._interval_s:
            self.refresh()
        return self._classifier

    def refresh(self) -> bool:
        """Serve the stable channel's model if it is another one; True when the model changed."""
        if not self._lock.acquire(blocking=False):
            return False  # another request is loading it; this one keeps the current model
        try:
            self._checked = time.monotonic()
            with self._session_factory() as session:
                row = registry.current(session, "stable")
                if row is None:
                    return False
                model = session.get_one(ModelVersion, row.model_id)
            if model.sha256 == self._classifier.sha256 or row.id in self._skipped:
                return False
            if not self._load(model):
                self._skipped.add(row.id)
                return False
            return True
        finally:
            self._lock.release()

    def _load(self, model: ModelVersion) -> bool:
        if not registry.verify_stored(self._store, model):
            log.error(
                "stable model %d (%s): the stored file is missing or not the bytes the registry signed; serving %s",
                model.id,
                model.sha256[:12],
                self._classifier.sha256[:12],
            )
            return False
        try:
            classifier = create_classifier("onnx", self._store.path(model.sha256), self._threads)
        except Exception:  # noqa: BLE001 - whatever breaks the load, the current model stays
            log.exception(
                "stable model %d (%s) does not load; serving %s",
                model.id,
                model.sha256[:12],
                self._classifier.sha256[:12],
            )
            return False
        log.info(
            "serving stable model %d (%s) instead of %s", model.id, model.sha256[:12], self._classifier.sha256[:12]
        )
        self._classifier = classifier
        return True
