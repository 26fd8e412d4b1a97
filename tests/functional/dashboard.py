# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Use the dashboard in a real browser: headless Chromium from Debian, driven by Selenium.

Run on the test host (python of .venv, chromium and chromium-driver from
Debian: tests/harness/host-setup). The password comes on stdin (a command
line shows in -vvv logs and in ps), one line per --keystone.

1. a wrong password is refused (the login form again, with its error);
2. the right one logs in as that user;
3. every --expect PAGE=TEXT: the page (under the dashboard's root) shows
   TEXT, e.g. admin/hypervisors/=compute1 (the dashboard reached nova);
4. every --region: offered by the region menu (regions of the catalog of
   one keystone), switched to, and the pages of --expect checked there too
   (an --expect REGION@PAGE=TEXT only in that region);
5. with --keystone NAME (repeatable; AVAILABLE_REGIONS, one keystone per
   cloud): the login form offers every NAME, and each is logged in to in
   turn, with the next password line on stdin; its pages of --expect
   (NAME@PAGE=TEXT) show TEXT and those of --absent do not;
6. a screenshot of the last page to --screenshot.

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
from selenium.webdriver.support.ui import Select

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


def login_form(driver, url):
    """The login form's user field, after a logout (Horizon shows no form to a logged-in user)."""
    driver.get(url + "/auth/logout/")
    driver.get(url + "/auth/login/")
    forms = driver.find_elements(By.ID, "id_username")
    if not forms:
        # e.g. Chromium's "Your connection is not private" for a certificate
        # the trusted CA did not sign.
        body = " ".join(driver.find_element(By.TAG_NAME, "body").text.split())
        raise Failed("no login form at %s (%r): %s" % (driver.current_url, driver.title, body[:300]))
    return forms[0]


def keystones_offered(driver):
    """The names of the login form's region choice (AVAILABLE_REGIONS); none when it is hidden (one keystone)."""
    choices = driver.find_elements(By.CSS_SELECTOR, "select#id_region")
    return [option.text.strip() for option in Select(choices[0]).options] if choices else []


def login(driver, url, user, password, keystone=None):
    field = login_form(driver, url)
    if keystone is not None:
        offered = keystones_offered(driver)
        if keystone not in offered:
            raise Failed("the login form offers %s, not %r" % (offered, keystone))
        Select(driver.find_element(By.ID, "id_region")).select_by_visible_text(keystone)
    field.send_keys(user)
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


def pages(driver, args, where, results):
    """The --expect and --absent pages that apply WHERE (a region, a keystone or None)."""
    for page, text, want in [(p, t, True) for w, p, t in args.expect if w in (None, where)] + \
            [(p, t, False) for w, p, t in args.absent if w == where]:
        body = page_text(driver, args.url, page)
        key = "%s %s" % (where, page) if where else page
        if (text in body) != want:
            raise Failed("%s %s %r" % (key, "does not show" if want else "shows", text))
        results["pages"].setdefault(key, []).append(text if want else "not " + text)


def check(args, passwords):
    password = passwords[0]
    results = {"url": args.url}
    with tempfile.TemporaryDirectory(prefix="dashboard-") as home:
        os.environ["HOME"] = home
        if args.ca:
            trust(home, args.ca)
        driver = browser(home)
        try:
            first = args.keystone[0] if args.keystone else None
            refused = login(driver, args.url, args.user, password + "-wrong", first)
            if not isinstance(refused, dict):
                raise Failed("a wrong password logged in as %r" % refused)
            results["wrong_password"] = refused["refused"]
            results["pages"] = {}
            if args.keystone:
                results["keystones_offered"] = keystones_offered(driver)
            # Each keystone of the login form in turn, or the one keystone.
            for keystone, secret in zip(args.keystone or [None], passwords):
                who = login(driver, args.url, args.user, secret, keystone)
                if who != args.user:
                    raise Failed("login as %s%s: %s" % (args.user, " at " + keystone if keystone else "", who))
                results["logged_in_as"] = who
                if keystone:
                    results.setdefault("logged_in_at", []).append(keystone)
                    pages(driver, args, keystone, results)
            regions = [] if args.keystone else args.region or [None]
            if args.region:
                offered = regions_offered(driver)
                results["regions_offered"] = offered
                missing = sorted(set(args.region) - set(offered))
                if missing:
                    raise Failed("regions %s not in the region menu %s" % (missing, offered))
            for region in regions:
                if region:
                    root = urlsplit(args.url).path.rstrip("/")
                    driver.get("%s/auth/switch_services_region/%s/?next=%s/project/" % (args.url, quote(region), root))
                    current = driver.find_elements(By.CSS_SELECTOR, "span.context-region")
                    shown = current[0].get_attribute("textContent").strip() if current else None
                    if shown != region:
                        raise Failed("switched to region %s, the dashboard shows %r" % (region, shown))
                pages(driver, args, region, results)
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
    parser.add_argument("--absent", action="append", default=[], metavar="WHERE@PAGE=TEXT",
                        help="a page that must not show TEXT in region or keystone WHERE (repeatable)")
    parser.add_argument("--region", action="append", default=[], help="a region the menu must offer (repeatable)")
    parser.add_argument("--keystone", action="append", default=[],
                        help="a keystone the login form must offer (AVAILABLE_REGIONS), logged in to (repeatable)")
    parser.add_argument("--screenshot", help="PNG of the last page")
    args = parser.parse_args()
    if args.keystone and args.region:
        parser.error("--keystone (a keystone per cloud) and --region (regions of one keystone) do not mix")
    for option in ("expect", "absent"):
        parsed = []
        for expect in getattr(args, option):
            if "=" not in expect:
                parser.error("--%s takes [WHERE@]PAGE=TEXT, not %r" % (option, expect))
            page, text = expect.split("=", 1)
            where, page = page.split("@", 1) if "@" in page else (None, page)
            if (where is not None or option == "absent") and where not in args.region + args.keystone:
                parser.error("--%s %r names %s, which no --region or --keystone names" % (option, expect, where))
            parsed.append((where, page, text))
        setattr(args, option, parsed)
    # A line per --keystone; the one password without.
    passwords = (sys.stdin.read().split("\n") + [""])[:max(1, len(args.keystone))]
    try:
        results = check(args, passwords)
    except (Failed, WebDriverException) as exc:
        print(json.dumps({"failed": str(exc).strip()}, indent=1))
        return 1
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
