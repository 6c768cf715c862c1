"""Case numbers: PREFIX-YEAR-NNNN, one counter per prefix and Swedish calendar year."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services.numbering import next_case_number

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_numbers_count_per_case_type_and_year(app, clock):
    assert [next_case_number("avvikelse") for _ in range(3)] == ["AVV-2026-0001", "AVV-2026-0002", "AVV-2026-0003"]
    assert next_case_number("klagomal") == "KLA-2026-0001"
    assert next_case_number("utredning") == "UTR-2026-0001"
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # already 1 January in Sweden
    assert next_case_number("avvikelse") == "AVV-2027-0001"
    assert next_case_number("klagomal") == "KLA-2027-0001"


def test_the_prefix_comes_from_the_configuration(app):
    app.config["CASE_NUMBER_PREFIXES"] = {**app.config["CASE_NUMBER_PREFIXES"], "avvikelse": "AV"}
    assert next_case_number("avvikelse") == "AV-2026-0001"
    assert next_case_number("klagomal") == "KLA-2026-0001"  # the others keep theirs
