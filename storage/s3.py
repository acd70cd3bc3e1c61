"""The object store on S3 (MinIO, AWS or any S3-compatible server) through the ``minio`` client.

Keys are the store's keys unchanged (``originals/ab/cd/<sha256>``, ``derived/<sha256>/...``)
in one bucket, created on the first write. Metadata travels as S3 user metadata
(``x-amz-meta-*``): S3 only carries ASCII there, so values are percent-encoded
(``é`` → ``%C3%A9``) and names escaped to lower-case letters, digits and ``-hh``
(:func:`encode_meta_name`), then decoded on the way back. The content type given at put time is kept
both as the object's ``Content-Type`` and in ``x-amz-meta-mailroom-content-type`` (S3 always
has a ``Content-Type``; this one says whether the caller gave it).
``x-amz-meta-mailroom-sha256`` records the digest of the bytes, so putting the same bytes
again under the same key is answered by a HEAD instead of a second upload.

``put_file`` streams: the client sends multipart uploads of ``part_size`` bytes, one part in
memory at a time. Transient failures (connection errors, 5xx, ``SlowDown``) are retried with
exponential back-off; what still fails becomes :class:`~mailroom.errors.StorageError`.
Credentials come from the constructor (built from settings) and never appear in a ``repr``,
a log line or an error message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import InvalidResponseError, S3Error, ServerError

from mailroom.errors import ConfigurationError, StorageError
from storage.base import KeyNotFound, validate_key

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_PART_SIZE = 5 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024
_META_PREFIX = "x-amz-meta-"
_CONTENT_TYPE_META = "mailroom-content-type"
_SHA256_META = "mailroom-sha256"
_INTERNAL_META = frozenset({_CONTENT_TYPE_META, _SHA256_META})
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "NotFound"})
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "OperationAborted",
    }
)
_NAME_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def encode_meta_name(name: str) -> str:
    """A metadata name every S3 server keeps as is: lower-case letters and digits stay, any
    other character becomes ``-hh`` per UTF-8 byte (``Nom`` → ``-4eom``, ``a-b`` → ``a-2db``).
    HTTP lower-cases header names and some servers drop names with ``%`` or ``_``."""
    return "".join(
        c if c in _NAME_SAFE else "".join(f"-{b:02x}" for b in c.encode("utf-8")) for c in name
    )


def decode_meta_name(text: str) -> str:
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "-" and _is_hex(text[i + 1 : i + 3]):
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(text[i].encode("utf-8"))
            i += 1
    return out.decode("utf-8", errors="replace")


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair)


def encode_meta_value(value: str) -> str:
    """Percent-encoded UTF-8; spaces too, since HTTP trims a header value's white space."""
    return urllib.parse.quote(value, safe="!#$&'()*+,-./:;=?@[]^_`{|}~")


def decode_meta(text: str) -> str:
    return urllib.parse.unquote(text, encoding="utf-8", errors="strict")


class _Body(io.RawIOBase):
    """An S3 GET response as a raw stream; closing it gives the connection back."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._response.readinto(buffer))
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise StorageError(f"reading an object from S3 failed: {e}") from e

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()


class S3ObjectStore:
    """Objects in one S3 bucket; the constructor does no I/O."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        secure: bool = True,
        region: str | None = None,
        part_size: int = 16 * 1024 * 1024,
        retries: int = 4,
        backoff_s: float = 0.5,
        presign_expiry_s: int = 3600,
        client: Minio | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 part size must be at least {MIN_PART_SIZE} bytes")
        self.endpoint = endpoint
        self.bucket = bucket
        self.part_size = part_size
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.presign_expiry_s = presign_expiry_s
        self._client = client or Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3ObjectStore(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    # --- plumbing ------------------------------------------------------------------------

    def _call(self, what: str, action: Callable[[], T], *, key: str | None = None) -> T:
        """Run one client call, retrying transient failures; translate what is left."""
        attempt = 0
        while True:
            try:
                return action()
            except S3Error as e:
                if key is not None and e.code in _MISSING_CODES:
                    raise KeyNotFound(key) from e
                if e.code not in _TRANSIENT_CODES or attempt >= self.retries:
                    raise StorageError(f"{what} on S3 bucket {self.bucket!r}: {e.code}") from e
                problem = e.code
            except (ServerError, InvalidResponseError) as e:
                if attempt >= self.retries:
                    raise StorageError(f"{what} on S3 bucket {self.bucket!r}: {e}") from e
                problem = type(e).__name__
            except (urllib3.exceptions.HTTPError, OSError) as e:
                if attempt >= self.retries:
                    raise StorageError(
                        f"{what}: S3 endpoint {self.endpoint} unreachable: {e}"
                    ) from e
                problem = type(e).__name__
            delay = self.backoff_s * (2**attempt)
            attempt += 1
            log.warning(
                "%s: transient S3 error (%s), try %d in %.1f s", what, problem, attempt + 1, delay
            )
            time.sleep(delay)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet (once per store)."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return

            def create() -> None:
                if self._client.bucket_exists(self.bucket):
                    return
                try:
                    self._client.make_bucket(self.bucket)
                    log.info("created S3 bucket %s", self.bucket)
                except S3Error as e:
                    if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

            try:
                self._call(f"creating bucket {self.bucket}", create)
            except ValueError as e:  # the client refuses the name before any request
                raise ConfigurationError(f"S3 bucket {self.bucket!r}: {e}") from e
            self._bucket_ready = True

    def _meta(
        self, content_type: str | None, metadata: dict[str, str] | None, sha256: str
    ) -> dict[str, str]:
        meta = {encode_meta_name(k): encode_meta_value(v) for k, v in (metadata or {}).items()}
        clash = _INTERNAL_META & meta.keys()
        if clash:
            raise ValueError(f"reserved metadata name(s): {', '.join(sorted(clash))}")
        if content_type:
            meta[_CONTENT_TYPE_META] = encode_meta_value(content_type)
        meta[_SHA256_META] = sha256
        return meta

    def _unchanged(self, key: str, size: int, meta: dict[str, str]) -> bool:
        """Whether the object already holds these bytes with this metadata."""
        try:
            stat = self._call(
                f"checking {key}", lambda: self._client.stat_object(self.bucket, key), key=key
            )
        except KeyNotFound:
            return False
        return stat.size == size and _raw_user_meta(stat.metadata) == meta

    # --- writes --------------------------------------------------------------------------

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        validate_key(key)
        meta = self._meta(content_type, metadata, hashlib.sha256(data).hexdigest())
        self.ensure_bucket()
        if self._unchanged(key, len(data), meta):
            return
        self._call(
            f"storing {key}",
            lambda: self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type or "application/octet-stream",
                metadata=meta,  # type: ignore[arg-type]
                part_size=self.part_size,
                num_parallel_uploads=1,
            ),
        )

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        validate_key(key)
        source = Path(path)
        try:
            size = source.stat().st_size
            digest = _hash_file(source)
        except OSError as e:
            raise StorageError(f"cannot read {source} to store it as {key!r}: {e}") from e
        meta = self._meta(content_type, metadata, digest)
        self.ensure_bucket()
        if self._unchanged(key, size, meta):
            return
        try:
            stream = source.open("rb", buffering=0)
        except OSError as e:
            raise StorageError(f"cannot read {source} to store it as {key!r}: {e}") from e
        with stream:
            self._upload(key, stream, content_type, meta, what=f"storing {source} as {key}")

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Store a stream of unknown length (``length=-1``), read one part at a time.

        No same-bytes check: the digest is unknown until the stream is read, so the object's
        ``mailroom-sha256`` is left out.
        """
        validate_key(key)
        meta = self._meta(content_type, metadata, "")
        del meta[_SHA256_META]
        self.ensure_bucket()
        self._upload(key, stream, content_type, meta, what=f"storing a stream as {key}")

    def _upload(
        self,
        key: str,
        stream: BinaryIO,
        content_type: str | None,
        meta: dict[str, str],
        *,
        what: str,
    ) -> None:
        """Send a stream in ``part_size`` pieces, holding one piece in memory at a time.

        The client's own ``put_object`` keeps the previous part while it reads the next (two
        parts in memory); this loop drops each part before reading the next one. It uses the
        client's multipart calls (``_create_multipart_upload``, ``_upload_part``,
        ``_complete_multipart_upload``), which ``minio>=7.2`` has kept stable.
        """
        headers: dict[str, Any] = {f"{_META_PREFIX}{k}": v for k, v in meta.items()}
        headers["Content-Type"] = content_type or "application/octet-stream"
        part = _read_part(stream, self.part_size)
        if len(part) < self.part_size:  # one request is enough
            self._call(
                what,
                lambda: self._client._put_object(self.bucket, key, part, dict(headers)),
            )
            return
        upload_id: str = self._call(
            what, lambda: self._client._create_multipart_upload(self.bucket, key, dict(headers))
        )
        parts: list[Part] = []
        try:
            number = 1
            while part:
                etag = self._call(
                    f"{what} (part {number})",
                    functools.partial(
                        self._client._upload_part, self.bucket, key, part, None, upload_id, number
                    ),
                )
                parts.append(Part(number, etag))
                del part  # the next part is read only once this one is gone
                number += 1
                part = _read_part(stream, self.part_size)
            self._call(
                what,
                lambda: self._client._complete_multipart_upload(self.bucket, key, upload_id, parts),
            )
        except BaseException:
            try:
                self._client._abort_multipart_upload(self.bucket, key, upload_id)
            except Exception as e:  # noqa: BLE001 - the first error is the one to report
                log.warning("%s: could not abort the multipart upload: %s", what, e)
            raise

    def delete(self, key: str) -> None:
        validate_key(key)
        with contextlib.suppress(KeyNotFound):  # deleting a missing key is not an error
            self._call(
                f"deleting {key}", lambda: self._client.remove_object(self.bucket, key), key=key
            )

    # --- reads ---------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        response = self._call(
            f"reading {key}", lambda: self._client.get_object(self.bucket, key), key=key
        )
        return io.BufferedReader(_Body(response), CHUNK_SIZE)  # type: ignore[return-value]

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            self._call(
                f"checking {key}", lambda: self._client.stat_object(self.bucket, key), key=key
            )
        except KeyNotFound:
            return False
        return True

    def metadata(self, key: str) -> dict[str, str]:
        validate_key(key)
        stat = self._call(
            f"reading the metadata of {key}",
            lambda: self._client.stat_object(self.bucket, key),
            key=key,
        )
        raw = _raw_user_meta(stat.metadata)
        result = {
            decode_meta_name(name): decode_meta(value)
            for name, value in raw.items()
            if name not in _INTERNAL_META
        }
        if _CONTENT_TYPE_META in raw:
            result["content_type"] = decode_meta(raw[_CONTENT_TYPE_META])
        return result

    def list(self, prefix: str = "") -> Iterator[str]:
        def keys() -> list[str]:
            try:
                return [
                    obj.object_name
                    for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
                    if obj.object_name is not None and not obj.is_dir
                ]
            except S3Error as e:
                if e.code == "NoSuchBucket":
                    return []
                raise

        yield from sorted(self._call(f"listing {prefix!r}", keys))

    def presigned_url(self, key: str, *, expires_s: int | None = None) -> str:
        """A link that GETs the object without credentials, for the review application."""
        validate_key(key)
        expires = timedelta(seconds=expires_s or self.presign_expiry_s)
        return self._call(
            f"signing a link to {key}",
            lambda: self._client.presigned_get_object(self.bucket, key, expires=expires),
        )


def _raw_user_meta(headers: Any) -> dict[str, str]:
    """The ``x-amz-meta-*`` headers of a HEAD, names without the prefix, still encoded."""
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        lowered = str(name).lower()
        if lowered.startswith(_META_PREFIX):
            result[lowered[len(_META_PREFIX) :]] = str(value)
    return result


def _read_part(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes (fewer only at the end of the stream)."""
    first = stream.read(size)
    if not first or len(first) == size:
        return first or b""
    chunks = [first]
    got = len(first)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return b"".join(chunks)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
