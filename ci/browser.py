#!/usr/bin/env python3
"""Browser test: opens a study report (index.html) in headless Chromium through
ChromeDriver, fails on any console error or missing figure, and saves a
full-page screenshot.

Usage: ci/browser.py REPORT_DIR SCREENSHOT.png [--min-figures N]
"""

import argparse
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("screenshot")
    ap.add_argument("--min-figures", type=int, default=6)
    args = ap.parse_args()
    page = pathlib.Path(args.report, "index.html").resolve()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage", "--window-size=1100,1400"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    ok = True
    try:
        driver.get(page.as_uri())
        figures = driver.find_elements(By.CSS_SELECTOR, "figure svg")
        rendered = [f for f in figures if f.size["width"] > 300 and f.size["height"] > 100]
        print(f"{'ok' if len(rendered) >= args.min_figures else 'FAIL':4} figures rendered: "
              f"{len(rendered)} of {len(figures)} (at least {args.min_figures} wanted)")
        ok &= len(rendered) >= args.min_figures
        badges = driver.find_elements(By.CSS_SELECTOR, "table .badge")
        print(f"{'ok' if badges else 'FAIL':4} verdict badges: {len(badges)}")
        ok &= bool(badges)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        for e in errors:
            print(f"FAIL console: {e['message']}")
        ok &= not errors
        # A full-page screenshot: grow the window to the page's height.
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1100, min(int(height), 30000))
        driver.save_screenshot(args.screenshot)
        size = pathlib.Path(args.screenshot).stat().st_size
        print(f"{'ok' if size > 50_000 else 'FAIL':4} screenshot {args.screenshot}: {size:,} bytes, "
              f"page {height} px high")
        ok &= size > 50_000
    finally:
        driver.quit()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
