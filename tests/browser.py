"""What every browser journey does: sign in, check a page with axe-core, tick a USWDS radio button."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

axe = Axe()


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def assert_accessible(page: Page) -> None:
    """No serious or critical WCAG violation that axe-core can find on the page as it is now."""
    results = axe.run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not serious, f"{page.url}:\n" + "\n".join(serious)


def choose(scope: Page | Locator, label: str) -> None:
    """Tick a radio button by clicking its label: the U.S. Web Design System draws the button itself and
    moves the real input off screen, where Playwright cannot click it."""
    scope.locator("label.usa-radio__label", has_text=re.compile(f"^{re.escape(label)}")).click()
