import io

import pytest
from PIL import Image

from tests.utils.images import jpeg_bytes
from zerowaste.model.image_io import ImageLimits, ImageRejected, decode_image


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (80, 40), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    decoded = decode_image(jpeg_bytes(image, exif=exif))
    assert decoded.size == (40, 80)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, not a photo", "not an image"),
        (jpeg_bytes(Image.new("RGB", (64, 64)))[:200], "truncated"),
    ],
)
def test_bad_bytes_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected, match=reason):
        decode_image(data)


def test_byte_and_pixel_limits() -> None:
    data = jpeg_bytes(Image.new("RGB", (300, 300)))
    with pytest.raises(ImageRejected, match="bytes"):
        decode_image(data, ImageLimits(max_bytes=100))
    with pytest.raises(ImageRejected, match="pixels"):
        decode_image(data, ImageLimits(max_pixels=300 * 299))


def test_format_allow_list() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    with pytest.raises(ImageRejected, match="format PNG"):
        decode_image(buf.getvalue(), ImageLimits(formats=frozenset({"JPEG"})))
    assert decode_image(buf.getvalue()).mode == "RGB"
