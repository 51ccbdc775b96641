"""Every user-facing string is in both catalogs, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from config.i18n import LANGUAGES, Catalog, placeholders
from handlers.feature import ANYONE
from handlers.registry import build_router
from storage.models import Role, Stage

ROOT = Path(__file__).resolve().parent.parent
catalog = Catalog.load()


def test_languages_have_the_same_keys() -> None:
    zh, en = catalog.keys("zh"), catalog.keys("en")
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"
    assert en - zh == set(), f"missing in zh: {sorted(en - zh)}"


def test_placeholders_agree() -> None:
    wrong = [
        key
        for key in catalog.keys("zh")
        if placeholders(catalog.raw("zh", key)) != placeholders(catalog.raw("en", key))
    ]
    assert not wrong, f"placeholders differ between zh and en: {wrong}"


def test_every_command_role_and_stage_has_words() -> None:
    router = build_router()
    needed = {f"cmd.{name}" for name in router.commands}
    needed |= {f"label.{c.name}" for c in router.commands.values() if c.menu}
    needed |= {f"role.{r}" for r in Role} | {f"stage.{s}" for s in Stage}
    for lang in LANGUAGES:
        assert needed - catalog.keys(lang) == set(), lang


def test_every_key_the_code_names_exists() -> None:
    pattern = re.compile(
        r"""\b(?:say|t|text|text_for)\(\s*(?:[a-z_.]+,\s*)?["']([a-z_]+\.[a-z_.]+)["']"""
    )
    used: set[str] = set()
    for floor in ("bot", "handlers"):
        for path in (ROOT / floor).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys; it is broken"
    missing = sorted(key for key in used if not catalog.has(key))
    assert not missing, f"keys used in code but in no catalog: {missing}"


def test_every_entry_declares_who_may_use_it() -> None:
    router = build_router()
    entries = [*router.commands.values(), *router.buttons.values(), *router.steps.values()]
    for entry in entries:
        assert entry.access == ANYONE or (
            isinstance(entry.access, frozenset) and entry.access and entry.access <= set(Role)
        ), entry


def test_each_feature_file_exists_in_every_language() -> None:
    folders = [ROOT / "config" / "locales" / lang for lang in LANGUAGES]
    names = [sorted(p.name for p in folder.glob("*.toml")) for folder in folders]
    assert names[0] and all(n == names[0] for n in names), names
