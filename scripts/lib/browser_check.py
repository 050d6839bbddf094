"""Drives the live dashboard in headless Chromium through WebDriver (selenium), for
scripts/browser-check, which starts the server and passes its address and an admin key.

What it does, failing on the first thing that is wrong:
- an anonymous visit is sent to the sign-in form; a wrong key is refused on the form;
- signs in through the form (the browser holds the session cookie from then on);
- opens every dashboard page by its links, from the navigation down (every link to another
  dashboard page is followed: in the browser for the first MAX_PER_PATH of each path, by an
  HTTP request with the same cookie for the rest); every link must answer 200;
- on every page: no JS console error (a CSP violation counts), a chart where one is expected
  with shapes in it and a non-zero size, and the DOM the browser built equal to what the
  server sends to curl with the same cookie (elements of <main> by name, the links, the
  headings and the chart's hover titles);
- looks an order up through the Gantt form and checks its chart;
- times the heat-map page load (Navigation Timing) and prints it;
- signs out, checks the cookie is gone and that every page now redirects to the sign-in form.
Screenshots go to --out; their paths are printed.
"""

import argparse
import collections
import html.parser
import http.client
import json
import os
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

MAX_PER_PATH = 6


class Failure(Exception):
    pass


def fail(message):
    raise Failure(message)


class ServerView(html.parser.HTMLParser):
    """What a page's HTML, as the server sends it, holds inside <main>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.tags = collections.Counter()
        self.links = []
        self.headings = []
        self.titles = []
        self._text = None
        self._heading = None

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth = 1
            return
        if not self.depth:
            return
        self.tags[tag] += 1
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if tag in ("h1", "h2"):
            self._heading = ""
        if tag == "title":
            self._text = ""

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth = 0
        elif self.depth and tag in ("h1", "h2") and self._heading is not None:
            self.headings.append(" ".join(self._heading.split()))
            self._heading = None
        elif self.depth and tag == "title" and self._text is not None:
            self.titles.append(self._text)
            self._text = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data
        if self._text is not None:
            self._text += data


DOM_SCRIPT = """
const main = document.querySelector('main');
if (!main) return null;
const tags = {};
for (const el of main.querySelectorAll('*')) tags[el.localName] = (tags[el.localName] || 0) + 1;
const charts = [...main.querySelectorAll('svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {width: box.width, height: box.height,
          shapes: svg.querySelectorAll('rect, use, circle, polyline, line').length};
});
return {
  tags: tags,
  links: [...main.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  everyLink: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  headings: [...main.querySelectorAll('h1, h2')].map(h => h.textContent.split(/\\s+/).filter(Boolean).join(' ')),
  titles: [...main.querySelectorAll('title')].map(t => t.textContent),
  charts: charts,
};
"""

TIMING_SCRIPT = """
const n = performance.getEntriesByType('navigation')[0];
return n ? {ttfb: n.responseStart - n.startTime, response: n.responseEnd - n.startTime,
            dom: n.domContentLoadedEventEnd - n.startTime, load: n.loadEventEnd - n.startTime,
            bytes: n.encodedBodySize || n.transferSize} : null;
"""


class Check:
    def __init__(self, base, key, out, window, runs):
        self.runs = runs
        self.base = base.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base)
        self.host, self.port = parsed.hostname, parsed.port
        self.key = key
        self.out = out
        self.screenshots = []
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("WEFT_CHROMIUM", "/usr/bin/chromium")
        for argument in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                         "--no-first-run", f"--window-size={window}"):
            options.add_argument(argument)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=os.environ.get("WEFT_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(120)

    # -- helpers ---------------------------------------------------------------------------

    def http(self, method, path, cookie=None, body=None):
        """A request outside the browser: (status, headers, body text)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {}
        if cookie:
            headers["Cookie"] = f"weft_session={cookie}"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def path(self):
        """The browser's current path and query."""
        parsed = urllib.parse.urlsplit(self.driver.current_url)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")

    def open(self, path):
        self.driver.get_log("browser")  # drop what earlier pages logged
        self.driver.get(self.base + path)
        self.console(path)

    def console(self, where):
        errors = [entry for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]
        if errors:
            fail(f"{where}: the browser console has errors: " + "; ".join(e.get("message", "?") for e in errors[:5]))

    def screenshot(self, name):
        path = os.path.join(self.out, f"{name}.png")
        # The whole page: the window grows to the document's height (at most 12,000 px).
        height = self.driver.execute_script("return Math.min(12000, document.documentElement.scrollHeight)")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, max(height + 120, 700))
        if not self.driver.save_screenshot(path):
            fail(f"could not save {path}")
        with open(path, "rb") as file:
            if file.read(4) != b"\x89PNG":
                fail(f"{path} is not a PNG")
        if os.path.getsize(path) < 10000:
            fail(f"{path} looks blank ({os.path.getsize(path)} bytes)")
        self.screenshots.append(path)
        return path

    def wait_for(self, what, condition):
        try:
            WebDriverWait(self.driver, 60).until(lambda driver: condition())
        except Exception:
            fail(f"timed out waiting for {what} (the browser is at {self.path()})")

    def session_cookie(self):
        for cookie in self.driver.get_cookies():
            if cookie["name"] == "weft_session":
                return cookie["value"]
        return None

    # -- steps -----------------------------------------------------------------------------

    def sign_in(self):
        self.open("/dashboard/runs")
        if self.path() != "/dashboard/login?next=/dashboard/runs":
            fail(f"an anonymous visit to /dashboard/runs ended at {self.path()}, not the sign-in form")
        self.driver.find_element(By.ID, "key").send_keys("wft_notakey_000000000000")
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button[type=submit]").click()
        self.wait_for("the refusal of a wrong key", lambda: self.driver.find_elements(By.CSS_SELECTOR, "p.error[role=alert]"))
        if "not valid" not in self.driver.find_element(By.CSS_SELECTOR, "p.error[role=alert]").text:
            fail("a wrong key was not refused on the sign-in form")
        # The refusal is a 401 page, which Chromium notes in the console; nothing else may be there.
        for entry in self.driver.get_log("browser"):
            if entry.get("level") == "SEVERE" and "401" not in entry.get("message", ""):
                fail(f"sign-in with a wrong key: the browser console has an error: {entry.get('message')}")
        if self.session_cookie():
            fail("a wrong key set a session cookie")
        self.open("/dashboard/login")
        print(f"  sign-in form -> {self.screenshot('sign-in')}", file=sys.stderr)
        self.open("/dashboard/login?next=/dashboard/unserved")
        self.driver.find_element(By.ID, "key").send_keys(self.key)
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button[type=submit]").click()
        self.wait_for("the page after signing in", lambda: not self.path().startswith("/dashboard/login"))
        self.console("signing in")
        if self.path() != "/dashboard/unserved":
            fail(f"signing in ended at {self.path()}, not /dashboard/unserved (the next page)")
        cookie = self.session_cookie()
        if not cookie:
            fail("signing in set no weft_session cookie in the browser")
        return cookie

    def compare(self, path, cookie, dom):
        status, headers, text = self.http("GET", path, cookie)
        if status != 200:
            fail(f"{path}: curl with the browser's cookie got {status}")
        server = ServerView()
        server.feed(text)
        if dict(server.tags) != dom["tags"]:
            differing = sorted(set(server.tags) | set(dom["tags"]))
            details = [f"{t}: server {server.tags.get(t, 0)}, browser {dom['tags'].get(t, 0)}"
                       for t in differing if server.tags.get(t, 0) != dom["tags"].get(t, 0)]
            fail(f"{path}: the browser's DOM differs from the server's HTML: " + "; ".join(details[:8]))
        for what in ("links", "headings", "titles"):
            if getattr(server, what) != dom[what]:
                fail(f"{path}: the {what} in the browser differ from the server's HTML")
        return text

    def visit(self, path, cookie, chart):
        """Opens `path` in the browser and checks it; returns the links on it."""
        started = time.monotonic()
        self.open(path)
        if self.path() != path:
            fail(f"{path}: the browser ended at {self.path()}")
        dom = self.driver.execute_script(DOM_SCRIPT)
        if dom is None:
            fail(f"{path}: no <main> in the page")
        self.compare(path, cookie, dom)
        if chart:
            if not dom["charts"]:
                fail(f"{path}: no chart")
            first = dom["charts"][0]
            if first["shapes"] < chart or first["width"] < 100 or first["height"] < 50:
                fail(f"{path}: the chart is empty or collapsed ({first['shapes']} shapes, {first['width']:.0f}x{first['height']:.0f} px)")
        return dom["everyLink"], time.monotonic() - started

    def crawl(self, cookie):
        """Every dashboard page reachable by links from the navigation."""
        expected_chart = {"/dashboard": 20, "/dashboard/orders": 3, "/dashboard/unserved": 2, "/dashboard/runs": 4 if self.runs else 0}
        queue = collections.deque(["/dashboard"])
        seen = {"/dashboard"}
        per_path = collections.Counter()
        shot = set()
        visited = checked = 0
        while queue:
            path = queue.popleft()
            plain = urllib.parse.urlsplit(path).path
            per_path[plain] += 1
            if per_path[plain] <= MAX_PER_PATH:
                links, seconds = self.visit(path, cookie, expected_chart.get(plain, 0))
                visited += 1
                if plain not in shot:
                    shot.add(plain)
                    name = {"/dashboard": "utilization", "/dashboard/orders": "order-plan",
                            "/dashboard/unserved": "unserved", "/dashboard/runs": "runs"}.get(plain, plain.strip("/").replace("/", "-"))
                    print(f"  {path}: ok in the browser ({seconds:.2f} s) -> {self.screenshot(name)}", file=sys.stderr)
            else:
                status, _, _ = self.http("GET", path, cookie)
                if status != 200:
                    fail(f"a link to {path} answers {status}")
                checked += 1
                links = []
            for href in links:
                target = urllib.parse.urljoin(self.base + path, href)
                if not target.startswith(self.base + "/"):
                    fail(f"{path} links outside the server: {href}")
                relative = target[len(self.base):]
                if not relative.startswith("/dashboard"):
                    continue
                if relative not in seen:
                    seen.add(relative)
                    queue.append(relative)
        for page in expected_chart:
            if per_path[page] == 0:
                fail(f"{page} is not reachable by links from /dashboard")
        print(f"  {visited} pages opened in the browser, {checked} more links answered 200 ({len(seen)} distinct)", file=sys.stderr)

    def gantt_lookup(self, cookie, order_id):
        self.open("/dashboard/orders")
        field = self.driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/orders'] input[name=id]")
        field.clear()
        field.send_keys(order_id)
        field.submit()
        self.wait_for("the order's plan", lambda: "?id=" in self.path())
        self.console("the order look-up")
        if self.path() != f"/dashboard/orders?id={order_id}":
            fail(f"the order look-up ended at {self.path()}")
        dom = self.driver.execute_script(DOM_SCRIPT)
        self.compare(self.path(), cookie, dom)
        if len(dom["headings"]) < 2 or not dom["charts"] or dom["charts"][0]["shapes"] < 3:
            fail(f"the order look-up for {order_id} shows no plan")
        if not any(order_id in title for title in dom["titles"]):
            fail(f"the Gantt chart's title does not name order {order_id}")
        print(f"  order look-up {order_id}: {dom['headings'][1]} -> {self.screenshot('order-lookup')}", file=sys.stderr)

    def time_heat_map(self):
        figures = []
        for _ in range(3):
            self.open("/dashboard")
            figures.append(self.driver.execute_script(TIMING_SCRIPT))
        figures = [f for f in figures if f]
        if not figures:
            fail("the browser reported no navigation timing for /dashboard")
        median = sorted(figures, key=lambda f: f["load"])[len(figures) // 2]
        print(f"  heat map page load in Chromium (median of {len(figures)}): first byte {median['ttfb']:.0f} ms, "
              f"response {median['response']:.0f} ms, DOM ready {median['dom']:.0f} ms, load {median['load']:.0f} ms, "
              f"{median['bytes']} bytes", file=sys.stderr)

    def sign_out(self, cookie):
        self.open("/dashboard")
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/logout'] button[type=submit]").click()
        self.wait_for("the sign-in form after signing out", lambda: self.path().startswith("/dashboard/login"))
        self.console("signing out")
        if self.path() != "/dashboard/login":
            fail(f"signing out ended at {self.path()}")
        if self.session_cookie():
            fail("the session cookie is still in the browser after signing out")
        for page in ("/dashboard", "/dashboard/orders", "/dashboard/unserved", "/dashboard/runs"):
            self.open(page)
            if self.path() != f"/dashboard/login?next={page}":
                fail(f"after signing out, {page} ended at {self.path()}, not the sign-in form")
            status, headers, _ = self.http("GET", page, cookie)
            if status != 303 or not headers.get("location", "").startswith("/dashboard/login"):
                fail(f"after signing out, the old cookie still opens {page} ({status})")
        print("  signed out: every page redirects to the sign-in form, the old cookie opens nothing", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--order", required=True, help="an order id with allocations, to look up")
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=0, help="how many schedule runs have scores (the runs page then needs a chart)")
    parser.add_argument("--window", default="1400,1000")
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)
    stale = os.path.join(arguments.out, "failure.png")
    if os.path.exists(stale):
        os.remove(stale)  # from an earlier failed check
    check = Check(arguments.base, arguments.key, arguments.out, arguments.window, arguments.runs)
    try:
        cookie = check.sign_in()
        check.crawl(cookie)
        check.gantt_lookup(cookie, arguments.order)
        check.time_heat_map()
        check.sign_out(cookie)
    except Failure as failure:
        print(f"browser-check: FAIL: {failure}", file=sys.stderr)
        try:
            print(f"  (the browser was at {check.driver.current_url}; screenshot {check.screenshot('failure')})", file=sys.stderr)
        except Exception:
            pass
        return 1
    finally:
        check.driver.quit()
    print("  screenshots: " + " ".join(check.screenshots), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
