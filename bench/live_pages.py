"""Live desk pages: how soon a mail shows in an open dialog list, against how soon its event reaches the
page. Real `relaydesk serve` (SQLite file), real SMTP, headless Chromium with the desk open on /inbox.

Sends --mails mails one at a time, each from a new sender (a new dialog), and prints, from the SMTP
server's 250: the event arriving on the page (the baseline: the stream alone) and the new row drawn in the
list (the event, the page's 250 ms burst wait, the fragment fetch and the swap), median and 95th
percentile, and their ratio. Both moments are taken by the page's clock (the same machine's as the 250).

Usage: python bench/live_pages.py [--mails 40]
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, expect, sync_playwright

from bridge.db import make_engine, migrate
from tests.support.process import RelaydeskProcess
from tests.webui.desk_seed import OLGA, PASSWORD, seed
from tests.webui.test_browser import CHROMIUM_ARGS

SECRET = "live-pages-benchmark-secret-key-0123456789"
# Notes, by the page's clock, when each new dialog's event came and when its row was drawn.
WATCH = """() => {
  window.opened = [];
  window.drawn = {};
  document.addEventListener("relaydesk:event", ({detail}) => {
    if (detail.type === "conversation_opened") window.opened.push([detail.conversation_id, Date.now()]);
  });
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
    if (node.classList && node.classList.contains("row") && !(node.dataset.id in window.drawn)) {
      window.drawn[node.dataset.id] = Date.now();
    }
  }))).observe(document.getElementById("rows"), {childList: true});
}"""


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):6.0f} ms   p95 {p95:6.0f} ms"


def send(port: int, number: int) -> float:
    mail = EmailMessage()
    mail["From"] = f"Sender {number} <sender{number}@example.net>"
    mail["To"] = "support@example.com"
    mail["Subject"] = f"Question {number}"
    mail["Message-ID"] = f"<bench-{number}-{time.time_ns()}@example.net>"
    mail.set_content(f"Question number {number}.")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(mail)
    return time.time() * 1000  # the 250 to DATA has come


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login?next=/inbox")
    page.fill("input[name=email]", OLGA)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("html")).to_have_attribute("data-live", "open")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        url = f"sqlite:///{workdir / 'relaydesk.db'}"
        engine = make_engine(url, str(workdir))
        migrate(engine)
        seed(engine, datetime.now(UTC))
        engine.dispose()
        process = RelaydeskProcess(
            workdir,
            url,
            1,
            site={"secret_key": SECRET},
            outbound={"transport": "maildir", "maildir": str(workdir / "maildir")},
            uploads={"dir": str(workdir / "files")},
        ).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                log_in(page, process.base_url)
                page.evaluate(WATCH)
                rows = page.locator("#rows .row")
                start = rows.count()
                sent: list[float] = []
                for number in range(args.mails):
                    sent.append(send(process.smtp_port, number))
                    expect(rows).to_have_count(start + number + 1, timeout=15000)
                opened = page.evaluate("window.opened")
                drawn = page.evaluate("window.drawn")
                browser.close()
        finally:
            process.stop()
    event = [at - sent[n] for n, (_, at) in enumerate(opened)]
    row = [drawn[str(cid)] - sent[n] for n, (cid, _) in enumerate(opened)]
    print(f"{args.mails} mails, one at a time, SQLite, one `relaydesk serve`, desk open on /inbox")
    print(f"250 -> event on the page:  {quantiles(event)}   (baseline)")
    print(f"250 -> row drawn in list:  {quantiles(row)}")
    print(f"ratio (median row / median event): {statistics.median(row) / statistics.median(event):.2f}")


if __name__ == "__main__":
    main()
