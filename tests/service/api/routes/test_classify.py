"""POST /v1/classify with real photos, the real shipped model and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.conftest import photos
from zerowaste.service.db.models import Classification


def post_photo(client: TestClient, path, **form: str):
    return client.post("/v1/classify", files={"file": (path.name, path.read_bytes(), "image/jpeg")}, data=form)


def test_battery_photo_goes_to_battery_collection(client: TestClient) -> None:
    r = post_photo(client, photos("garbage12", "battery", n=1)[0])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decided"] is True and body["clarify"] is None
    assert body["top"][0]["label"] == "battery" and body["top"][0]["name"] == "Batterie"
    probs = [t["probability"] for t in body["top"]]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True)
    assert body["guidance"][0]["stream"]["key"] == "batterien"
    assert "Restmüll" in body["guidance"][0]["stream"]["instructions"]
    assert uuid.UUID(body["id"])
    assert len(body["model"]["sha256"]) == 64 and body["model"]["precision"] == "int8"
    with client.app.state.sessionmaker() as session:
        row = session.scalars(select(Classification).where(Classification.id == body["id"])).one()
        assert row.label == "battery" and row.model_sha256 == body["model"]["sha256"]


def test_shoes_come_with_second_hand_offers_first_in_english(client: TestClient) -> None:
    r = post_photo(client, photos("garbage12", "shoes", n=1)[0], lang="en")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "en" and body["top"][0]["label"] == "shoes"
    assert body["guidance"][0]["stream"]["key"] == "altkleider"
    assert body["guidance"][0]["stream"]["name"] == "Used clothes and shoes"
    offers = body["offers"]
    assert offers, "shoes must come with reuse offers"
    assert all("shoes" in o["matches"] for o in offers)
    assert {o["key"] for o in offers} & {"gesa-second-hand-outlet", "suchen-und-finden", "kleidertausch-sophienkirche"}


def test_glass_names_its_container(client: TestClient) -> None:
    body = post_photo(client, photos("garbage12", "brown-glass", n=1)[0]).json()
    g = body["guidance"][0]
    assert g["stream"]["key"] == "altglas" and g["container"] == "Braunglas"


def test_metal_asks_whether_it_is_packaging(client: TestClient) -> None:
    files = photos("garbage12", "metal", n=6)
    bodies = [post_photo(client, f).json() for f in files]
    metal = [b for b in bodies if b["decided"] and b["top"][0]["label"] == "metal"]
    assert metal, [b["top"][0] for b in bodies]
    q = metal[0]["guidance"][0]["question"]
    assert "Verpackung" in q["text"]
    assert q["answers"]["yes"]["key"] == "gelbe-tonne" and q["answers"]["no"]["key"] == "recyclinghof"


def test_offers_in_the_citizens_district_come_first(client: TestClient) -> None:
    # No clothes offer has published coordinates, so the district decides among equal fits.
    for district in ("Vohwinkel", "Barmen"):
        body = post_photo(client, photos("garbage12", "clothes", n=1)[0], district=district).json()
        assert body["top"][0]["label"] == "clothes"
        best = max(len(o["matches"]) for o in body["offers"])
        first_of_best = next(o for o in body["offers"] if len(o["matches"]) == best)
        assert first_of_best["district"] == district, body["offers"]


@pytest.mark.parametrize("colour", [(128, 128, 128), (255, 255, 255), (0, 0, 0)])
def test_an_unsure_answer_asks_with_candidates(client: TestClient, colour: tuple[int, int, int]) -> None:
    # A flat square is nothing the model knows: the model file's sure rule says no, so the service asks.
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(buf, "JPEG")
    body = client.post("/v1/classify", files={"file": ("flat.jpg", buf.getvalue(), "image/jpeg")}).json()
    assert body["decided"] is False
    assert body["clarify"].startswith("Wir sind nicht sicher")
    assert len(body["guidance"]) >= 2


@pytest.mark.parametrize(
    ("content", "ctype", "status", "words"),
    [
        (b"this is text", "image/jpeg", 422, "not an image"),
        (b"", "image/jpeg", 422, "empty"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(client: TestClient, content: bytes, ctype: str, status: int, words: str) -> None:
    r = client.post("/v1/classify", files={"file": ("x.jpg", content, ctype)})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def _encoded(fmt: str) -> bytes:
    image = Image.open(photos("garbage12", "shoes", n=1)[0]).convert("RGB").resize((320, 240))
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_a_photo_is_known_by_its_bytes_not_its_declared_type(client: TestClient, fmt: str) -> None:
    # Many clients send application/octet-stream, or no type at all, for a real photo.
    data = _encoded(fmt)
    for ctype in ("application/octet-stream", "text/plain"):
        r = client.post("/v1/classify", files={"file": ("photo", data, ctype)})
        assert r.status_code == 200, (ctype, r.text)
        assert r.json()["top"][0]["label"] == "shoes"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_415_whatever_they_claim(client: TestClient, fmt: str) -> None:
    r = client.post("/v1/classify", files={"file": ("photo.jpg", _encoded(fmt), "image/jpeg")})
    assert r.status_code == 415, r.text
    assert fmt in r.json()["detail"]


def test_truncated_jpeg_is_refused(client: TestClient) -> None:
    data = photos("trashnet", "paper", n=1)[0].read_bytes()
    r = client.post("/v1/classify", files={"file": ("t.jpg", data[: len(data) // 3], "image/jpeg")})
    assert r.status_code == 422
    assert "truncated" in r.json()["detail"] or "decoded" in r.json()["detail"]


def test_too_many_bytes_and_too_many_pixels(client: TestClient, settings) -> None:
    big = b"\xff\xd8" + b"0" * settings.max_upload_bytes
    r = client.post("/v1/classify", files={"file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413
    buf = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buf, "PNG")  # 36 Mpx, a few kB: a decompression bomb in miniature
    r = client.post("/v1/classify", files={"file": ("bomb.png", buf.getvalue(), "image/png")})
    assert r.status_code == 422 and "pixels" in r.json()["detail"]


@pytest.mark.parametrize(
    "form", [{"lat": "51.2"}, {"lat": "100", "lon": "7"}, {"lon": "-200", "lat": "1"}, {"lang": "fr"}]
)
def test_bad_form_fields_are_422(client: TestClient, form: dict[str, str]) -> None:
    f = photos("trashnet", "paper", n=1)[0]
    r = client.post("/v1/classify", files={"file": (f.name, f.read_bytes(), "image/jpeg")}, data=form)
    assert r.status_code == 422, r.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient, settings) -> None:
    r = client.post(
        "/v1/classify",
        content=b"x" * 10,
        headers={
            "Content-Length": str(settings.max_upload_bytes * 2),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    assert r.status_code == 413
