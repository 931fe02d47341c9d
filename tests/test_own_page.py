"""Issue 46: a visitor's page is theirs. What a page shows (the run in each picker, its answer) changes only when its
visitor changes it: another visitor's run, better or not, joins the lists without being selected, through a tab
switch and a reload; and a link stays exact."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .conftest import app_in_process, copy_run, train_form, wait_for_training
from .test_browser import CHROMIUM, browser_page

REVIEW = "最高の買い物でした。また買いたいです。"
OTHERS = "someone-elses-run"
SHOWN = {
    "en-US": {"classify": "5. Classify", "evaluate": "4. Evaluate", "picker": "Run (newest first)", "run": "Run",
              "button": "Classify"},
    "ja-JP": {"classify": "5. 分類", "evaluate": "4. 評価", "picker": "学習済みモデル（新しい順）",
              "run": "学習済みモデル", "button": "分類"},
}
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.mark.parametrize("locale", sorted(SHOWN))
def test_another_visitors_run_moves_nothing_on_my_page(tmp_path, trained_run, locale):
    from gradio_client import Client

    runs = tmp_path / "runs"
    copy_run(trained_run, runs)
    mine, shown = trained_run.name, SHOWN[locale]
    with app_in_process(runs) as url:
        for page in browser_page(locale):
            page.goto(f"{url}?tab=classify&run={mine}&text={quote(REVIEW)}", wait_until="load")
            picker = page.get_by_label(shown["picker"], exact=True)
            expect(picker).to_have_value(re.compile(f"^{re.escape(mine)} · "))
            expect(page.locator("#prediction-info")).to_contain_text(f"· {mine} ·")

            other = Client(url, verbose=False)  # another visitor trains a run of their own
            other.predict(**train_form(method="ngram", run_name=OTHERS), api_name="/start_training")
            assert 'data-state="finished"' in wait_for_training(other)

            page.get_by_role("tab", name=shown["evaluate"]).click()
            evaluate_picker = page.get_by_label(shown["run"], exact=True)
            evaluate_picker.click()  # the new run is in the list…
            expect(page.get_by_role("option", name=re.compile(f"^{OTHERS} · "))).to_be_visible()
            page.keyboard.press("Escape")
            expect(evaluate_picker).to_have_value(re.compile(f"^{re.escape(mine)} · "))  # …and not selected
            page.get_by_role("tab", name=shown["classify"]).click()
            expect(picker).to_have_value(re.compile(f"^{re.escape(mine)} · "))
            page.get_by_role("button", name=shown["button"], exact=True).click()
            expect(page.locator("#prediction-info")).to_contain_text(f"· {mine} ·")

            page.reload(wait_until="load")
            expect(picker).to_have_value(re.compile(f"^{re.escape(mine)} · "))
            expect(page.locator("#prediction-info")).to_contain_text(f"· {mine} ·")
