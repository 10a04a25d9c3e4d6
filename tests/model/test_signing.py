"""Ed25519 model signatures: only the exact file (sha256 and size) under a trusted key verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from zerowaste.model import signing

SHA = "ab" * 32


def test_a_signature_binds_the_file_and_the_key(tmp_path: Path) -> None:
    key = signing.generate_private_key(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").stat().st_mode & 0o077 == 0
    public = signing.public_key_text(key.public_key())
    sig = signing.sign(signing.load_private_key(tmp_path / "k.pem"), SHA, 1234)
    assert signing.verify([public], SHA, 1234, sig) == signing.key_id(public)
    other = signing.public_key_text(signing.Ed25519PrivateKey.generate().public_key())
    assert signing.verify([other, public], SHA, 1234, sig) == signing.key_id(public)  # key rotation: any trusted
    for sha, size, signature, keys, why in (
        ("cd" * 32, 1234, sig, [public], "no trusted key"),  # another file
        (SHA, 1235, sig, [public], "no trusted key"),  # same hash claimed for another size
        (SHA, 1234, sig, [other], "no trusted key"),  # signed by someone else
        (SHA, 1234, None, [public], "unsigned"),
        (SHA, 1234, "", [public], "unsigned"),
        (SHA, 1234, "not base64!", [public], "not base64"),
        (SHA, 1234, sig, [], "no trusted public key"),
    ):
        with pytest.raises(signing.SignatureError, match=why):
            signing.verify(keys, sha, size, signature)


def test_keys_are_never_overwritten_and_bad_input_is_named(tmp_path: Path) -> None:
    signing.generate_private_key(tmp_path / "k.pem")
    with pytest.raises(FileExistsError):
        signing.generate_private_key(tmp_path / "k.pem")
    with pytest.raises(ValueError, match="public key"):
        signing.load_public("c2hvcnQ=")
    with pytest.raises(ValueError, match="sha256"):
        signing.message("ABC", 1)


def test_a_key_appears_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process starting at the same moment reads the key as soon as the file exists: it must never
    find half a key (two service processes on one data folder failed to start that way), nor may a write
    that fails (a full disk) leave one behind for every later start to trip over."""
    import io
    import os

    class FullDisk(io.BytesIO):
        def write(self, _data: object) -> int:
            raise OSError(28, "No space left on device")

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: (os.close(fd), FullDisk())[1])
    with pytest.raises(OSError, match="No space"):
        signing.generate_private_key(tmp_path / "k.pem")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(os, "fdopen", real_fdopen)

    # many at once: one key, and every one of them reads that key
    from concurrent.futures import ThreadPoolExecutor

    def get_or_make(path: Path) -> str:
        try:
            key = signing.generate_private_key(path)
        except FileExistsError:
            key = signing.load_private_key(path)
        return signing.public_key_text(key.public_key())

    for round_ in range(20):
        path = tmp_path / f"round-{round_}" / "k.pem"
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(get_or_make, [path] * 8))
        assert len(keys) == 1 and [p.name for p in path.parent.iterdir()] == ["k.pem"]
