"""Check the built documentation in a real headless browser.

Run after ``make docs``::

    .venv/bin/python docs/check_site.py [docs/_build/html] [--browser /usr/bin/chromium]

It serves the site over HTTP on localhost, opens it in headless Chromium
(through Playwright, with the system's Chromium) and checks that

- the gallery index and every example page render, each example with at
  least one figure, and every image on them has loaded;
- the API page of every estimator renders with its title and a methods table,
  without private base classes;
- the "?" link of each estimator's HTML diagram (as a notebook shows it)
  points at an API page that exists and is that estimator's.

Prints one line per failure and exits with status 1 if there is any.
"""

import argparse
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

from sklearn.utils import estimator_html_repr

from sklearn_dl.utils import all_estimators
from sklearn_dl.utils._doc_link import DOCS_URL

_IMAGES_LOADED = """() => Array.from(document.images).map(
    image => [image.getAttribute('src'), image.complete && image.naturalWidth > 0])"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(root):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _open(page, url, failures):
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        failures.append(f"{url}: HTTP {None if response is None else response.status}")
        return False
    for src, loaded in page.evaluate(_IMAGES_LOADED):
        if not loaded:
            failures.append(f"{url}: image {src} did not load")
    return True


def check_gallery(page, root, base, failures):
    examples = sorted((root / "auto_examples").glob("plot_*.html"))
    if not examples:
        failures.append("auto_examples/: no example page (was the gallery built?)")
    _open(page, f"{base}/auto_examples/index.html", failures)
    if page.locator(".sphx-glr-thumbcontainer").count() < len(examples):
        failures.append("auto_examples/index.html: fewer thumbnails than example pages")
    for example in examples:
        url = f"{base}/auto_examples/{example.name}"
        if _open(page, url, failures) and page.locator(
                "img.sphx-glr-single-img, img.sphx-glr-multi-img").count() == 0:
            failures.append(f"{url}: no figure")
    return len(examples)


def check_api_and_links(page, base, failures):
    for name, Estimator in all_estimators():
        link = Estimator()._get_doc_link()
        if not link.startswith(DOCS_URL + "/"):
            failures.append(f"{name}: HTML repr link {link!r} is not under {DOCS_URL}")
            continue
        # The link as a notebook renders it, followed on the local copy of the site.
        page.set_content(estimator_html_repr(Estimator()))
        href = page.locator("a.sk-estimator-doc-link").first.get_attribute("href")
        if href != link:
            failures.append(f"{name}: the diagram links {href!r}, expected {link!r}")
        url = base + link[len(DOCS_URL):]
        if not _open(page, url, failures):
            continue
        title = page.locator("h1").first.inner_text()
        if name not in title:
            failures.append(f"{url}: title {title!r} does not name {name}")
        if page.locator("table.autosummary").count() == 0:
            failures.append(f"{url}: no methods table")
        body = page.locator("body").text_content()
        if "Bases:" in body and "._" in body.split("Bases:")[1].split("\n")[0]:
            failures.append(f"{url}: shows a private base class")
    return len(all_estimators())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", default=Path(__file__).parent / "_build" / "html",
                        type=Path)
    parser.add_argument("--browser", default=shutil.which("chromium")
                        or shutil.which("chromium-browser") or shutil.which("google-chrome"))
    args = parser.parse_args()
    if args.browser is None:
        sys.exit("No Chromium found: install it (e.g. apt-get install chromium) or pass "
                 "--browser.")
    from playwright.sync_api import sync_playwright

    server, base = _serve(args.site)
    failures = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.browser)
            page = browser.new_page()
            n_examples = check_gallery(page, args.site, base, failures)
            n_estimators = check_api_and_links(page, base, failures)
            browser.close()
    finally:
        server.shutdown()
    for failure in failures:
        print(failure)
    print(f"{n_examples} gallery pages and {n_estimators} estimators' API pages and links "
          f"checked in {args.browser}: {len(failures)} failure(s).")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
