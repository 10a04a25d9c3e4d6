"""The app factory: `create_app(settings)` migrates, loads the municipality's rules and the model."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.orm import sessionmaker

from zerowaste.model import taxonomy
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
from zerowaste.service import registry
from zerowaste.service.api.body_limit import BodyLimit
from zerowaste.service.api.errors import install_error_handlers
from zerowaste.service.api.main import api_router
from zerowaste.service.api.observability import install
from zerowaste.service.api.routes import pages
from zerowaste.service.batching import MicroBatcher
from zerowaste.service.config import Settings, get_settings
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.migrate import migration_lock, upgrade
from zerowaste.service.disputes import ensure_quality_queue
from zerowaste.service.guidance import GuideCache
from zerowaste.service.labelling.names import page_label_sets
from zerowaste.service.model_store import ModelStore
from zerowaste.service.photos import PhotoStore
from zerowaste.service.rules import configured_rules, load_rules
from zerowaste.service.served_model import ServedModel

log = logging.getLogger(__name__)
API_PREFIX = "/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Read once: the lifespan writes them into the database, the citizen page takes its form of address.
    rules = configured_rules(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.sqlalchemy_url
        upgrade(url)
        engine = make_engine(url)
        app.state.settings = settings
        app.state.rules = rules
        app.state.photos = PhotoStore(settings.photo_dir)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
        app.state.guides = GuideCache(settings.zone)
        # Processes starting together would each insert the same streams and entries; one at a time, the
        # later ones find them and change nothing (found by tests/service/test_two_processes.py).
        with migration_lock(url), app.state.sessionmaker() as session:
            written = load_rules(session, rules)
            ensure_quality_queue(session, settings.quality_queue)
        log.info("rules for %s loaded: %s", settings.municipality, written)
        classifier = OnnxClassifier(settings.model_path or shipped_model_path("int8"), settings.model_threads)
        log.info("model %s loaded", classifier.sha256[:12])
        app.state.model_store = ModelStore(settings.model_store)
        app.state.signing_key = registry.signing_key(settings)
        with app.state.sessionmaker() as session:
            registry.bootstrap(session, app.state.model_store, app.state.signing_key, classifier)
            unfinished = registry.pending(session)
        app.state.served = ServedModel(
            classifier,
            app.state.model_store,
            app.state.sessionmaker,
            follow=settings.model_follow_stable,
            interval_s=settings.model_follow_interval_s,
            threads=settings.model_threads,
        )
        # A model promoted before this start is served from the first request.
        if settings.model_follow_stable and app.state.served.refresh():
            log.warning(
                "serving the stable channel's model, not %s: promote that file in the registry to serve "
                "it, or set ZEROWASTE_MODEL_FOLLOW_STABLE=false",
                settings.model_path or "the shipped model",
            )
        # Validations a crash interrupted start again; the service answers meanwhile.
        for model_id in unfinished:
            threading.Thread(
                target=registry.validate,
                daemon=True,
                name=f"gate-{model_id}",
                args=(app.state.sessionmaker, app.state.model_store, settings, app.state.signing_key, model_id),
            ).start()
        app.state.batcher = MicroBatcher(settings.batch_max, settings.batch_window_ms, settings.batch_queue)
        await app.state.batcher.start()
        try:
            yield
        finally:
            await app.state.batcher.stop()
            engine.dispose()

    app = FastAPIOffline(
        title="zerowaste",
        version="0.1.0",
        summary="What is it, where does it go in Wuppertal, and where can it be reused, repaired or borrowed?",
        lifespan=lifespan,
        static_url="/docs-assets",  # Swagger UI from the installed package, not a CDN
        redoc_url=None,  # ReDoc would still fetch its logo from cdn.redoc.ly, which the CSP refuses
    )
    install_error_handlers(app)
    # Added before the observability middleware, so that it sits inside it: its early 401/413 answers
    # are logged, counted and carry the security headers like every other answer.
    app.add_middleware(
        BodyLimit,
        # the photo plus room for the multipart envelope and form fields
        default=settings.max_upload_bytes + 64 * 1024,
        per_path={
            f"{API_PREFIX}/staff/models": settings.max_model_bytes + 512 * 1024,
            # a generous kilobyte per event; a device's whole batch is a few hundred bytes per event
            f"{API_PREFIX}/weighings/batch": settings.max_batch_events * 1024 + 64 * 1024,
        },
        keyed_prefixes=tuple(f"{API_PREFIX}/{p}" for p in ("staff/", "weighings/", "household", "models/")),
    )
    app.state.metrics = install(
        app,
        rate_limit=settings.rate_limit,
        rate_limit_storage=settings.rate_limit_storage,
        img_sources=(settings.map_origin,) if settings.map_origin else (),
    )
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(pages.router)
    page = (resources.files("zerowaste.service") / "static" / "index.html").read_text(encoding="utf-8")
    classes = json.dumps([asdict(c) for c in taxonomy.CLASSES], ensure_ascii=False)
    page = page.replace("__TAXONOMY__", classes)
    page = page.replace("__FORM_OF_ADDRESS__", rules.form_of_address)
    page = page.replace("__DISTRICTS__", json.dumps(rules.districts, ensure_ascii=False))
    map_config = json.dumps({"tiles": settings.map_tiles, "attribution": settings.map_attribution})
    page = page.replace("__MAP__", map_config.replace("<", "\\u003c"))  # inside <script>: no "</script>"
    staff_page = (resources.files("zerowaste.service") / "static" / "staff.html").read_text(encoding="utf-8")
    staff_page = staff_page.replace("__TAXONOMY__", classes)
    label_sets = json.dumps(page_label_sets(), ensure_ascii=False)
    staff_page = staff_page.replace("__LABEL_SETS__", label_sets.replace("<", "\\u003c"))  # no "</script>"

    household_page = (resources.files("zerowaste.service") / "static" / "household.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/household", response_class=HTMLResponse, include_in_schema=False)
    def household() -> HTMLResponse:
        return HTMLResponse(household_page)

    @app.get("/staff", response_class=HTMLResponse, include_in_schema=False)
    def staff() -> HTMLResponse:
        # The page holds no data: everything it shows comes from the staff API with the key typed in.
        return HTMLResponse(staff_page)

    return app
