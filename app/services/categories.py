"""The deviation and complaint categories of this municipality: the standard lists of app.vocabulary,
replaced or extended in the configuration (CATEGORIES, CATEGORIES_EXTRA, COMPLAINT_CATEGORIES_EXTRA).
Forms get their choices here (supply_lookups) and reports their labels, so a category a municipality
adds is chosen, counted and named everywhere alike."""
from __future__ import annotations

from flask import current_app

from app.vocabulary import CATEGORIES, COMPLAINT_CATEGORIES


def _configured(key: str) -> list[tuple[str, str]]:
    value = current_app.config.get(key) or {}
    return [(str(code), str(label)) for code, label in dict(value).items()]


def deviation_categories() -> list[tuple[str, str]]:
    base = _configured("CATEGORIES") or list(CATEGORIES)
    return _unique(base + _configured("CATEGORIES_EXTRA"))


def complaint_categories() -> list[tuple[str, str]]:
    """The deviation categories (a pattern counts deviations and complaints of one kind together) and
    what complaints often concern besides them."""
    extra_standard = [pair for pair in COMPLAINT_CATEGORIES if pair[0] not in dict(CATEGORIES)]
    return _unique(deviation_categories() + extra_standard + _configured("COMPLAINT_CATEGORIES_EXTRA"))


def category_labels() -> dict[str, str]:
    return dict(complaint_categories())


def label(code: str | None) -> str:
    return category_labels().get(code or "", code or "Utan kategori")


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict(pairs).items())
