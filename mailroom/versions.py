"""Which model versions read documents, and when a refit starts (issue #19).

A pipeline holds a :class:`ModelVersions`: per document it reads the model store's revision
(one indexed query); when a newer version was promoted (by ``mailroom train --corrections``
or a background refit in any process) it loads it from the object store (a local copy under
``<data_dir>/models``) and swaps the classifier and the field extractor's rankers, without a
restart. Each document records the versions that read it (``doc.models``).

:func:`refit_if_due` runs after a correction is recorded (review application, ``mailroom
corrections import``): once ``MAILROOM_LEARNING__REFIT_AFTER`` corrections arrived since the
last refit, it starts one in the background, a Celery task when a broker is configured, else a
process of its own (``python -m mailroom.versions``), never in the caller's request. The
refit lock (a row of the metadata database) lets one refit run at a time across processes.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.settings import Settings
from storage.model_store import BASE, ModelVersion, SqlModelStore

if TYPE_CHECKING:
    from mailroom.refit import RefitResult
    from storage.base import ObjectStore
    from storage.corrections import CorrectionStore

log = logging.getLogger(__name__)

REFIT_TASK = "mailroom.refit_models"
LEASE_S = 3 * 3600.0


def local_copy(objects: ObjectStore, models_dir: Path, version: ModelVersion) -> Path:
    """The version's file on this machine (fetched from the object store once)."""
    path = models_dir / f"{version.version}.joblib"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(objects.get_bytes(version.object_key))
        partial.replace(path)
    return path


class ModelVersions:
    """The versions a pipeline reads with, refreshed from the model store per document."""

    def __init__(self, store: SqlModelStore, objects: ObjectStore, models_dir: Path) -> None:
        self.store = store
        self.objects = objects
        self.models_dir = models_dir
        self.reading: dict[str, str] = {"classifier": BASE, "rankers": BASE}
        self._revision: str | None = None
        self._lock = threading.Lock()

    def refresh(self, pipeline: Any) -> dict[str, str]:
        """Swap the pipeline's classifier and rankers for the newest promoted versions when
        the store's revision moved; the versions reading now."""
        revision = self.store.revision()
        with self._lock:
            if self._revision is None:
                self._given(pipeline)
            if revision != self._revision:
                self._use(pipeline, "classifier", self.store.current("doctype"))
                self._use(pipeline, "rankers", self.store.current("rankers"))
                self._revision = revision
            return dict(self.reading)

    def _given(self, pipeline: Any) -> None:
        """What the parts the pipeline was built with are: the packaged models (``base``), a
        model file the settings name (``file:<name>``), or a test's fakes (not recorded)."""
        from classify.model import SklearnClassifier

        classifier = pipeline.classifier
        if not isinstance(classifier, SklearnClassifier):
            self.reading.pop("classifier", None)
        elif classifier.model_path is not None:
            self.reading["classifier"] = f"file:{Path(classifier.model_path).name}"
        if getattr(pipeline.field_extractor, "with_rankers", None) is None:
            self.reading.pop("rankers", None)

    def _use(self, pipeline: Any, part: str, version: ModelVersion | None) -> None:
        if version is None:
            return  # nothing promoted: the parts the pipeline was given read (``base``)
        name = version.version
        if self.reading.get(part) == name:
            return
        if part == "classifier":
            from classify.model import SklearnClassifier

            if not isinstance(pipeline.classifier, SklearnClassifier):
                self.reading.pop(part, None)  # a test's fake classifier reads
                return
            path = local_copy(self.objects, self.models_dir, version)
            pipeline.classifier = SklearnClassifier(path, min_chars=pipeline.classifier.min_chars)
        else:
            from extract.fields.ranker import Rankers

            swap = getattr(pipeline.field_extractor, "with_rankers", None)
            if swap is None:
                self.reading.pop(part, None)
                return
            rankers = Rankers.load(local_copy(self.objects, self.models_dir, version))
            extractor = swap(rankers)
            if extractor is None:
                self.reading.pop(part, None)
                return
            pipeline.field_extractor = extractor
        self.reading[part] = name
        log.info("%s: reading with %s", part, name)

    def close(self) -> None:
        self.store.close()


# --------------------------------------------------------------------------- the trigger


def due(settings: Settings, corrections: CorrectionStore, models: SqlModelStore) -> bool:
    """Whether ``refit_after`` corrections arrived since the last refit (0: never)."""
    every = settings.learning.refit_after
    if every <= 0:
        return False
    last = models.latest()
    since = corrections.count_after(last.last_correction_id if last is not None else 0)
    return since >= every


def start_background(settings: Settings) -> str:
    """Start a refit out of this process: a Celery task when a broker is configured, else
    ``python -m mailroom.versions`` in a session of its own. Returns how."""
    if settings.queue.broker_url is not None:
        from mailroom.worker import create_app

        create_app(settings).send_task(REFIT_TASK)
        return "celery"
    log_path = settings.storage.data_dir / "models" / "refit.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        subprocess.Popen(  # noqa: S603 - our own module, with this interpreter
            [sys.executable, "-m", "mailroom.versions", "--auto"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=dict(os.environ),
        )
    return "process"


def refit_if_due(settings: Settings, corrections: CorrectionStore,
                 start: Callable[[Settings], str] = start_background) -> str | None:
    """After a correction: start a background refit when one is due and none is running.
    Returns how it was started, or ``None``. A failure to start is logged, never raised
    (the correction itself is saved)."""
    db = getattr(corrections, "db", None)
    if settings.learning.refit_after <= 0 or db is None:
        return None
    models = SqlModelStore(db)
    try:
        if not due(settings, corrections, models) or models.locked():
            return None
        return start(settings)
    except Exception as e:  # noqa: BLE001 - the correction is saved; the refit waits
        log.warning("could not start a background refit: %s", e)
        return None
    finally:
        models.close()


def refit_now(settings: Settings, *, kinds: Sequence[str] = ("rankers", "doctype"),
              only_if_due: bool = False) -> RefitResult | None:
    """Refit under the lock (``None`` when another process holds it, or when
    ``only_if_due`` and no refit is due)."""
    from mailroom.refit import Stores, refit
    from storage import (
        build_correction_store,
        build_metadata_store,
        build_model_store,
        build_object_store,
    )

    corrections = build_correction_store(settings.storage)
    models = build_model_store(settings.storage)
    metadata = build_metadata_store(settings.storage)
    try:
        if only_if_due and not due(settings, corrections, models):
            return None
        holder = models.try_lock(lease_s=LEASE_S)
        if holder is None:
            log.info("a refit is running elsewhere")
            return None
        try:
            stores = Stores(corrections, metadata, build_object_store(settings.storage), models,
                            settings.storage.data_dir / "models")
            return refit(stores, settings, kinds=kinds)
        finally:
            models.unlock(holder)
    finally:
        metadata.close()
        models.close()
        corrections.close()


def train_on_corrections(argv: Sequence[str], settings: Settings) -> int:
    """``mailroom train --corrections [--only rankers|doctype]``: refit now, in this process,
    and print each new version's manifest (promoted or not, and why)."""
    import json

    ap = argparse.ArgumentParser(prog="mailroom train --corrections",
                                 description="Refit the models on the stored corrections.")
    ap.add_argument("--corrections", action="store_true", required=True)
    ap.add_argument("--only", choices=("rankers", "doctype"), default=None,
                    help="refit one kind only (default: both)")
    args = ap.parse_args(list(argv))
    kinds = (args.only,) if args.only else ("rankers", "doctype")
    result = refit_now(settings, kinds=kinds)
    if result is None:
        print("un réapprentissage est déjà en cours / a refit is already running",
              file=sys.stderr)
        return 1
    if not result.versions:
        print("aucune correction / no correction to refit on")
        return 0
    for v in result.versions:
        print(json.dumps(v.manifest, ensure_ascii=False, sort_keys=True))
    print(result.text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mailroom.versions --auto``: the background refit's own process."""
    from mailroom.logs import configure

    ap = argparse.ArgumentParser(description="Refit the models on the corrections.")
    ap.add_argument("--auto", action="store_true", help="only when a refit is due")
    args = ap.parse_args(argv)
    settings = Settings()
    configure("INFO")
    result = refit_now(settings, only_if_due=args.auto)
    if result is not None:
        print(result.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
