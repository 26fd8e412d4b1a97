# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Use the dashboard in a real browser: headless Chromium from Debian, driven by Selenium.

Run on the test host (python of .venv, chromium and chromium-driver from
Debian: tests/harness/host-setup). The password comes on stdin (a command
line shows in -vvv logs and in ps).

1. a wrong password is refused (the login form again, with its error);
2. the right one logs in as that user;
3. every --expect PAGE=TEXT: the page (under the dashboard's root) shows
   TEXT, e.g. admin/hypervisors/=compute1 (the dashboard reached nova);
4. every --region: offered by the region menu (regions of the catalog of
   one keystone), switched to, and the pages of --expect checked there too
   (an --expect REGION@PAGE=TEXT only in that region);
5. a screenshot of the last page to --screenshot.

With --ca, Chromium trusts that CA alone (an NSS database in a scratch
HOME): a certificate the CA did not sign fails the run, as it would for a
user. Exits 1 with what failed.

    echo "$PASSWORD" | dashboard.py --url https://10.0.0.11/horizon --ca ca.crt \\
        --user admin --expect admin/hypervisors/=compute1 --screenshot dash.png
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote, urlsplit

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Failed(Exception):
    pass


def trust(home, ca):
    """An NSS database in HOME that trusts the CA for servers (Chromium on Linux reads ~/.pki/nssdb)."""
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db)
    subprocess.run(["certutil", "-N", "-d", "sql:" + db, "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", "sql:" + db, "-n", "stackcraft", "-t", "C,,", "-i", ca], check=True)


def browser(home, lang="en-US"):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=" + lang, "--user-data-dir=" + os.path.join(home, "profile")):
        options.add_argument(arg)
    # The driver given: Selenium Manager would look for one on the internet.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    return driver


def login(driver, url, user, password):
    driver.get(url + "/auth/login/")
    forms = driver.find_elements(By.ID, "id_username")
    if not forms:
        # e.g. Chromium's "Your connection is not private" for a certificate
        # the trusted CA did not sign.
        body = " ".join(driver.find_element(By.TAG_NAME, "body").text.split())
        raise Failed("no login form at %s (%r): %s" % (driver.current_url, driver.title, body[:300]))
    forms[0].send_keys(user)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.ID, "loginBtn").click()
    deadline = time.time() + 120
    while time.time() < deadline:
        names = driver.find_elements(By.CSS_SELECTOR, "span.user-name")
        if names and names[0].text.strip():
            return names[0].text.strip()
        errors = [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, "form .alert-danger") if e.text.strip()]
        if "/auth/login" in driver.current_url and errors:
            return {"refused": errors}
        time.sleep(1)
    raise Failed("no answer to the login after 120 s (at %s)" % driver.current_url)


def page_text(driver, url, page):
    driver.get(url + "/" + page)
    deadline = time.time() + 60
    while time.time() < deadline:
        body = driver.find_element(By.TAG_NAME, "body").text
        # Tables load with the page; Angular panels a moment later.
        if body.strip() and "Loading" not in body:
            return body
        time.sleep(1)
    return driver.find_element(By.TAG_NAME, "body").text


def regions_offered(driver):
    links = driver.find_elements(By.CSS_SELECTOR, "a[href*='/switch_services_region/'] span.region-name")
    return sorted({link.get_attribute("textContent").strip() for link in links})


def check(args, password):
    results = {"url": args.url}
    with tempfile.TemporaryDirectory(prefix="dashboard-") as home:
        os.environ["HOME"] = home
        if args.ca:
            trust(home, args.ca)
        driver = browser(home)
        try:
            refused = login(driver, args.url, args.user, password + "-wrong")
            if not isinstance(refused, dict):
                raise Failed("a wrong password logged in as %r" % refused)
            results["wrong_password"] = refused["refused"]
            who = login(driver, args.url, args.user, password)
            if who != args.user:
                raise Failed("login as %s: %s" % (args.user, who))
            results["logged_in_as"] = who
            regions = args.region or [None]
            if args.region:
                offered = regions_offered(driver)
                results["regions_offered"] = offered
                missing = sorted(set(args.region) - set(offered))
                if missing:
                    raise Failed("regions %s not in the region menu %s" % (missing, offered))
            results["pages"] = {}
            for region in regions:
                if region:
                    root = urlsplit(args.url).path.rstrip("/")
                    driver.get("%s/auth/switch_services_region/%s/?next=%s/project/" % (args.url, quote(region), root))
                    current = driver.find_elements(By.CSS_SELECTOR, "span.context-region")
                    shown = current[0].get_attribute("textContent").strip() if current else None
                    if shown != region:
                        raise Failed("switched to region %s, the dashboard shows %r" % (region, shown))
                for where, page, text in args.expect:
                    if where not in (None, region):
                        continue
                    body = page_text(driver, args.url, page)
                    key = "%s %s" % (region, page) if region else page
                    if text not in body:
                        raise Failed("%s does not show %r" % (key, text))
                    results["pages"].setdefault(key, []).append(text)
            if args.screenshot:
                driver.save_screenshot(args.screenshot)
                results["screenshot"] = args.screenshot
        except Failed:
            if args.screenshot:
                driver.save_screenshot(args.screenshot)
            raise
        finally:
            driver.quit()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--url", required=True, help="the dashboard's root, e.g. https://10.0.0.11/horizon")
    parser.add_argument("--ca", help="CA certificate the dashboard's certificate must chain to")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--expect", action="append", default=[], metavar="[REGION@]PAGE=TEXT",
                        help="a page under the root and a text it must show, in every region or in REGION (repeatable)")
    parser.add_argument("--region", action="append", default=[], help="a region the menu must offer (repeatable)")
    parser.add_argument("--screenshot", help="PNG of the last page")
    args = parser.parse_args()
    expects = []
    for expect in args.expect:
        if "=" not in expect:
            parser.error("--expect takes [REGION@]PAGE=TEXT, not %r" % expect)
        page, text = expect.split("=", 1)
        where, page = page.split("@", 1) if "@" in page else (None, page)
        if where is not None and where not in args.region:
            parser.error("--expect %r names region %s, which no --region names" % (expect, where))
        expects.append((where, page, text))
    args.expect = expects
    password = sys.stdin.readline().rstrip("\n")
    try:
        results = check(args, password)
    except (Failed, WebDriverException) as exc:
        print(json.dumps({"failed": str(exc).strip()}, indent=1))
        return 1
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
