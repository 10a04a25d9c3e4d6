"""Service settings (pydantic-settings): environment variables with the prefix ZEROWASTE_, or a .env file.

| variable | default | meaning |
|---|---|---|
| DATABASE_URL / ZEROWASTE_DATABASE_URL | SQLite in ZEROWASTE_DATA_DIR | SQLAlchemy URL; postgresql://… uses psycopg 3 |
| ZEROWASTE_DATA_DIR | ./var | where the embedded SQLite database lives |
| ZEROWASTE_MODEL_PATH | the shipped INT8 model | ONNX file to serve |
| ZEROWASTE_MODEL_THREADS | 0 (ONNX Runtime decides) | inference threads per worker |
| ZEROWASTE_MUNICIPALITY | wuppertal | which rules file is loaded at start-up |
| ZEROWASTE_MAP_TILES | OpenStreetMap's tiles | tiles ({z}/{x}/{y}) of the offers map the browser loads; empty: no map |
| ZEROWASTE_RULES_FILE | rules/<municipality>.yaml | another city's rules file; its municipality must be the one above |
| ZEROWASTE_MAX_UPLOAD_BYTES | 10485760 | largest accepted photo |
| ZEROWASTE_MAX_UPLOAD_PIXELS | 40000000 | decompression-bomb guard |
| ZEROWASTE_PHOTO_DIR | ZEROWASTE_DATA_DIR/photos | donated photos (shared by all workers) |
| ZEROWASTE_RATE_LIMIT | 120/minute | per client address; 429 beyond it |
| ZEROWASTE_RATE_LIMIT_STORAGE | memory:// | per worker; redis://… shares the count between workers |
| ZEROWASTE_DECISION_THRESHOLD | 0.6 | below this calibrated probability the answer is a question |
| ZEROWASTE_ITEM_THRESHOLD | 0.5 | the household item is shown from this summed item-head probability on |
| ZEROWASTE_ITEM_CATEGORY_THRESHOLD | 0.6 | without a sure item, its category (Elektrokleingerät) from this sum on |
| ZEROWASTE_ITEM_LOOK_ALIKE_THRESHOLD | 0.25 | a material's look-alikes (wine glass for glass) ask from this sum on |
| ZEROWASTE_ITEM_DECISIVE_THRESHOLD | 0.8 | from here an item (or category) settles the material's question |
| ZEROWASTE_TIMEZONE | Europe/Berlin | the municipality's: weeks run Monday to Sunday, offers open, in it |
| ZEROWASTE_MAX_BATCH_EVENTS | 500 | most weighing events in one upload |
| ZEROWASTE_MAX_FUTURE_S | 300 | events later than this past the server's clock (after skew correction) are rejected |
| ZEROWASTE_BASELINE_WEEKS | 3 | a household's first complete weeks with data form its baseline |
| ZEROWASTE_MIN_GROUP_SIZE | 5 | neighbourhood figures only where at least this many households contribute |
| ZEROWASTE_QUALITY_QUEUE | biobin-disputes | the labelling queue disputed bio-bin frames go into |
| ZEROWASTE_RETENTION_WEEKS | 104 | `zerowaste pilot purge` deletes weighings older than this |
| ZEROWASTE_MODEL_STORE | ZEROWASTE_DATA_DIR/models | registry model files (shared by all workers) |
| ZEROWASTE_MODEL_SIGNING_KEY | DATA_DIR/model-signing.key | Ed25519 key (PEM), made on first start if missing |
| ZEROWASTE_MAX_MODEL_BYTES | 67108864 | largest model upload |
| ZEROWASTE_GATE_TESTSET | (none) | manifest whose test split is the gate's fixed test set; without it nothing passes |
| ZEROWASTE_GATE_TOP1_TOLERANCE | 0.0 | a candidate's top-1 may be this much below the current model's |
| ZEROWASTE_GATE_MAX_RECALL_DROP | 0.05 | no class's recall may fall by more than this |
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zerowaste.model.items import (
    DEFAULT_CATEGORY_THRESHOLD,
    DEFAULT_ITEM_DECISIVE_THRESHOLD,
    DEFAULT_ITEM_THRESHOLD,
    DEFAULT_LOOK_ALIKE_THRESHOLD,
)
from zerowaste.model.uncertainty import DEFAULT_DECISION_THRESHOLD

if TYPE_CHECKING:
    from zerowaste.service.weighings import TimeBounds


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZEROWASTE_", env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = Field(default="", validation_alias=AliasChoices("ZEROWASTE_DATABASE_URL", "DATABASE_URL"))
    model_path: Path | None = None
    model_threads: int = Field(default=0, ge=0, le=64)
    # Micro-batching (service/batching.py): photos per ONNX Runtime run, how long a lone photo waits for
    # company (0: not at all, batches form while the previous one runs), and how many may wait before
    # a request is answered 503 with Retry-After.
    batch_max: int = Field(default=8, ge=1, le=64)
    batch_window_ms: float = Field(default=0.0, ge=0, le=100)
    batch_queue: int = Field(default=64, ge=1, le=10_000)
    # Serve what staff promote to the stable channel without a restart; off: always model_path.
    model_follow_stable: bool = True
    model_follow_interval_s: float = Field(default=30.0, ge=0)
    municipality: str = "wuppertal"
    # Another city needs no fork: its rules file (validated like the shipped ones) named here.
    rules_file: Path | None = None
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_upload_pixels: int = Field(default=40_000_000, gt=0)
    # Memory a photo may cost: decoded pixels at most this many MB, a JPEG decoded straight to about
    # decode_max_side px on its longer side (others shrunk to it), at most this many decodes at once.
    max_decoded_mb: int = Field(default=200, gt=0)
    decode_max_side: int = Field(default=1600, ge=256)
    max_concurrent_decodes: int = Field(default=2, ge=1)
    # Only for model files without a fitted `sure` rule (model/uncertainty.py): answer without a question
    # when the top class reaches this probability.
    decision_threshold: float = Field(default=DEFAULT_DECISION_THRESHOLD, gt=0, lt=1)
    item_threshold: float = Field(default=DEFAULT_ITEM_THRESHOLD, gt=0, le=1)
    item_category_threshold: float = Field(default=DEFAULT_CATEGORY_THRESHOLD, gt=0, le=1)
    item_look_alike_threshold: float = Field(default=DEFAULT_LOOK_ALIKE_THRESHOLD, gt=0, le=1)
    item_decisive_threshold: float = Field(default=DEFAULT_ITEM_DECISIVE_THRESHOLD, gt=0, le=1)
    max_offers: int = Field(default=5, ge=1, le=50)
    rate_limit: str = "120/minute"
    # Addresses of reverse proxies whose X-Forwarded-For names the client (comma-separated, "*" for
    # any). Empty: the peer is the client, and a forged header changes nothing (rate limits, logs).
    trusted_proxies: str = ""
    rate_limit_storage: str = "memory://"
    timezone: str = "Europe/Berlin"
    # The offers map: tiles the citizen's browser loads (the service itself never fetches them). A
    # city with its own tile server names it here; the Content-Security-Policy allows its origin.
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap-Mitwirkende (ODbL)"
    max_batch_events: int = Field(default=500, ge=1, le=5000)
    max_future_s: float = Field(default=300.0, ge=0)
    # Older weighings (after clock correction) are rejected for staff to look at: a device offline
    # for weeks still delivers; a clock at 1970 does not rewrite a household's history.
    max_event_age_days: float = Field(default=180.0, gt=0)
    baseline_weeks: int = Field(default=3, ge=1, le=12)
    min_group_size: int = Field(default=5, ge=2)
    retention_weeks: int = Field(default=104, ge=1)
    # Donated frames of disputed bio-bin events are labelled here (service/disputes.py).
    quality_queue: str = Field(default="biobin-disputes", pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    photo_dir_override: Path | None = Field(default=None, validation_alias=AliasChoices("ZEROWASTE_PHOTO_DIR"))
    model_store_override: Path | None = Field(default=None, validation_alias=AliasChoices("ZEROWASTE_MODEL_STORE"))
    model_signing_key: Path | None = None
    max_model_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    gate_testset: Path | None = None
    gate_top1_tolerance: float = Field(default=0.0, ge=0, le=1)
    gate_max_recall_drop: float = Field(default=0.05, ge=0, le=1)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, v: str) -> str:
        # One driver for PostgreSQL: psycopg 3, whatever scheme the operator wrote.
        for prefix in ("postgres://", "postgresql://"):
            if v.startswith(prefix):
                return "postgresql+psycopg://" + v[len(prefix) :]
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("map_tiles")
    @classmethod
    def _tiles(cls, v: str) -> str:
        if v and not (v.startswith(("https://", "http://")) and all(k in v for k in ("{z}", "{x}", "{y}"))):
            raise ValueError("a tile URL with {z}, {x} and {y} (or empty for no map)")
        return v

    @property
    def map_origin(self) -> str | None:
        """Where the map's tiles come from, for the Content-Security-Policy; None without a map."""
        if not self.map_tiles:
            return None
        scheme, _, rest = self.map_tiles.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def time_bounds(self) -> TimeBounds:
        from zerowaste.service.weighings import TimeBounds  # imports the database models: not at the top

        return TimeBounds(max_future_s=self.max_future_s, max_age_days=self.max_event_age_days)

    @property
    def photo_dir(self) -> Path:
        return self.photo_dir_override or self.data_dir / "photos"

    @property
    def model_store(self) -> Path:
        return self.model_store_override or self.data_dir / "models"

    @property
    def model_signing_key_path(self) -> Path:
        return self.model_signing_key or self.data_dir / "model-signing.key"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zerowaste.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
