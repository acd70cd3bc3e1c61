"""The corrections store's contract on the real PostgreSQL (the unit tests run it on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.corrections import SqlCorrectionStore
from tests.integration.services import postgres_database

# The contract, collected here against this module's ``corrections`` fixture.
from tests.unit.test_corrections_store import (  # noqa: F401
    test_a_correction_reads_back_equal_with_its_places,
    test_a_document_corrected_again_replaces_its_correction_and_moves_the_revision,
    test_a_medical_correction_serves_only_medical_certificates,
    test_corrections_are_found_by_a_similar_layout_and_not_by_another,
    test_corrections_are_found_by_sender_key_of_the_same_type_only,
    test_weekly_figures_count_corrections_and_the_fields_they_served,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def corrections() -> Iterator[SqlCorrectionStore]:
    with postgres_database() as url:
        store = SqlCorrectionStore(url)
        yield store
        store.close()
