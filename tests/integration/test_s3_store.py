"""The S3 object store against a real S3 endpoint (moto's server), beyond the shared contract
(``tests/unit/test_object_store_contract.py`` runs that on S3 too)."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from minio import Minio
from minio.error import S3Error

from mailroom.errors import StorageError
from storage import build_object_store
from storage.base import original_key
from storage.s3 import (
    MIN_PART_SIZE,
    S3ObjectStore,
    decode_meta,
    decode_meta_name,
    encode_meta_name,
    encode_meta_value,
)
from storage.settings import StorageSettings
from tests.integration.services import S3Service, s3_service

pytestmark = pytest.mark.s3

SHA = hashlib.sha256(b"facture").hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Service]:
    with s3_service() as service:
        yield service


def _store(s3: S3Service, bucket: str | None = None, **kwargs: Any) -> S3ObjectStore:
    return S3ObjectStore(
        s3.endpoint,
        bucket or f"it-{secrets.token_hex(6)}",
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=False,
        part_size=MIN_PART_SIZE,
        backoff_s=0.01,
        **kwargs,
    )


def _client(s3: S3Service) -> Minio:
    return Minio(s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False)


def test_the_bucket_is_created_on_first_write_not_before(s3: S3Service) -> None:
    store = _store(s3)
    assert not _client(s3).bucket_exists(store.bucket)
    assert not store.exists(original_key(SHA))  # reads do not create it
    assert list(store.list()) == []
    store.put_bytes(original_key(SHA), b"x")
    assert _client(s3).bucket_exists(store.bucket)


def test_non_ascii_metadata_is_percent_encoded_on_the_wire(s3: S3Service) -> None:
    store = _store(s3)
    key = original_key(SHA)
    store.put_bytes(key, b"x", metadata={"filename": "facture hôtel Évry.pdf", "Nom": "é%"})
    raw = _client(s3).stat_object(store.bucket, key).metadata
    assert raw["x-amz-meta-filename"] == "facture%20h%C3%B4tel%20%C3%89vry.pdf"
    assert raw["x-amz-meta--4eom"] == "%C3%A9%25"
    assert encode_meta_name("Nom") == "-4eom"
    assert store.metadata(key) == {"filename": "facture hôtel Évry.pdf", "Nom": "é%"}


def test_a_presigned_link_gets_the_object_without_credentials(s3: S3Service) -> None:
    store = _store(s3)
    key = original_key(SHA)
    store.put_bytes(key, b"%PDF-1.7 original", content_type="application/pdf")
    url = store.presigned_url(key, expires_s=60)
    assert "X-Amz-Signature" in url and s3.secret_key not in url.split("?")[0]
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.read() == b"%PDF-1.7 original"


def test_a_stream_of_unknown_length_is_uploaded_in_parts(s3: S3Service) -> None:
    store = _store(s3)
    data = os.urandom(MIN_PART_SIZE * 2 + 12345)
    key = original_key(hashlib.sha256(data).hexdigest())
    store.put_stream(key, io.BufferedReader(io.BytesIO(data)), content_type="image/tiff")  # type: ignore[arg-type]
    assert store.get_bytes(key) == data
    assert store.metadata(key) == {"content_type": "image/tiff"}


def test_the_same_file_again_is_not_uploaded_twice(s3: S3Service, tmp_path: Path) -> None:
    store = _store(s3)
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF same bytes")
    key = original_key(SHA)
    store.put_file(key, path, content_type="application/pdf")
    first = _client(s3).stat_object(store.bucket, key)
    store.put_file(key, path, content_type="application/pdf")
    again = _client(s3).stat_object(store.bucket, key)
    assert again.last_modified == first.last_modified and again.etag == first.etag


class _Flaky:
    """A client whose first calls fail as a busy S3 does, then pass through."""

    def __init__(self, real: Minio, failures: int) -> None:
        self._real = real
        self.failures = failures

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.failures > 0:
                self.failures -= 1
                raise S3Error(
                    None,
                    "SlowDown",
                    "Please reduce your request rate.",
                    "r",
                    "1",
                    "h",  # type: ignore[arg-type]
                )
            return target(*args, **kwargs)

        return call


def test_transient_errors_are_retried(s3: S3Service) -> None:
    flaky = _Flaky(_client(s3), failures=3)
    store = _store(s3, client=flaky, retries=4)  # type: ignore[arg-type]
    store.put_bytes(original_key(SHA), b"x")
    assert store.get_bytes(original_key(SHA)) == b"x"
    assert flaky.failures == 0


def test_errors_that_outlast_the_retries_are_storage_errors(s3: S3Service) -> None:
    store = _store(s3, client=_Flaky(_client(s3), failures=100), retries=2)  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="SlowDown"):
        store.put_bytes(original_key(SHA), b"x")


def test_an_unreachable_endpoint_is_a_storage_error_without_credentials() -> None:
    store = S3ObjectStore(
        "127.0.0.1:1",
        "mailroom",
        access_key="AKIA-visible-nowhere",
        secret_key="very-secret-key",
        secure=False,
        retries=1,
        backoff_s=0.01,
    )
    with pytest.raises(StorageError) as info:
        store.put_bytes(original_key(SHA), b"x")
    for secret in ("AKIA-visible-nowhere", "very-secret-key"):
        assert secret not in str(info.value)
        assert secret not in repr(store)


def test_the_settings_switch_chooses_s3(s3: S3Service) -> None:
    settings = StorageSettings.model_validate(
        {
            "object_backend": "s3",
            "s3_endpoint": s3.endpoint,
            "s3_secure": False,
            "s3_bucket": f"settings-{secrets.token_hex(4)}",
            "s3_access_key": s3.access_key,
            "s3_secret_key": s3.secret_key,
        }
    )
    store = build_object_store(settings)
    assert isinstance(store, S3ObjectStore)
    store.put_bytes(original_key(SHA), b"via settings")
    assert store.get_bytes(original_key(SHA)) == b"via settings"
    assert "testing" not in repr(settings)


@given(st.text(min_size=1, max_size=40), st.text(max_size=80))
@example(" Nom de fichier ", "  facture hôtel.pdf ")
def test_any_metadata_name_and_value_survive_the_encoding(name: str, value: str) -> None:
    encoded_name, encoded_value = encode_meta_name(name), encode_meta_value(value)
    assert set(encoded_name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert encoded_value.isascii() and encoded_value == encoded_value.strip()
    assert decode_meta_name(encoded_name) == name
    assert decode_meta(encoded_value) == value
