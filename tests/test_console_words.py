"""Every word on the console's pages comes from the catalogs, in Chinese by default and
in English when chosen."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.console.page import TEMPLATES
from config.i18n import Catalog
from tests.console_support import Browser, Site, running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with running_site(tmp_path_factory.mktemp("console")) as found:
        yield found


async def test_english_pages(site: Site) -> None:
    browser = Browser(site)
    try:
        await browser.login("supervisor")
        status, _, response = await browser.get("/console/lang/en?next=/console/ledger")
        assert status == 303 and response.headers["Location"] == "/console/ledger"
        status, body, _ = await browser.get("/console/ledger")
        assert 'lang="en"' in body and "Export Excel" in body and "Overview" in body
        assert "导出" not in body  # the chrome is English; the data stays as written
    finally:
        await browser.close()


async def test_every_key_in_the_templates_is_in_both_catalogs() -> None:
    catalog = Catalog.load()
    used: set[str] = set()
    for path in Path(TEMPLATES).glob("*.html"):
        used |= set(re.findall(r"""t\('([a-z_]+\.[a-z_.]+)'""", path.read_text(encoding="utf-8")))
    assert len(used) > 100
    for lang in ("zh", "en"):
        keys = catalog.keys(lang)
        missing = sorted(
            k
            for k in used
            if (k not in keys if k[-1] not in "_." else not any(x.startswith(k) for x in keys))
        )
        assert not missing, (lang, missing)
