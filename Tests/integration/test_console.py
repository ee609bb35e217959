"""The web console in a real browser: Debian's Chromium driven by Selenium against the router's HTTPS admin listener,
with Prosody, a test bridge standing in for a gateway and a slixmpp librarian. Signs in, sees a patron's text arrive
on the desk without a reload, changes a queue's opening hours, adds a gateway, exports the chats as CSV; checks the
security headers, that nothing is loaded from elsewhere, labels, and the phone width. Screenshots of every page go
to .build/artifacts/console/."""
import csv
import io
import shutil
import time
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import report, wait_until
from staffing import patron_jid, router_for, seed_desk, start_bridge, wait_queue_online
from test_admin_api import ADMIN_PASSWORD, admin_config, certificate, create_user_in_database, free_port  # noqa: F401 (fixture)
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".build" / "artifacts" / "console"
PATRON = "+15551230001"


def chromium(download_dir: Path, width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--disable-default-apps", "--disable-features=Translate,OptimizationHints,MediaRouter"):
        options.add_argument(argument)
    options.accept_insecure_certs = True  # the development certificate is self-signed
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir), "download.prompt_for_download": False})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def shoot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(600, height + 120))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def waiting(driver, timeout=15):
    """Waits that read the page while it may be reloading (after a saved form) look again instead of failing. Chrome
    may also answer a read of a node that the reload just replaced with an "unhandled inspector error" (a plain
    WebDriverException, "Node with given id does not belong to the document"): that too means look again; a page
    that never shows the text still fails the wait at its timeout."""
    return WebDriverWait(driver, timeout,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException, WebDriverException))


def status_says(driver, text, timeout=15):
    waiting(driver, timeout).until(lambda d: text in d.find_element(By.ID, "status").text)


def submit(driver, form_label):
    form = driver.find_element(By.CSS_SELECTOR, f'form[aria-label="{form_label}"]')
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return form


def test_console_in_a_real_browser(workdir, processes, prosody, librarians, certificate, request):
    began = time.monotonic()
    port = free_port()
    router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    base = f"https://localhost:{port}"

    api = requests.Session()
    api.trust_env = False
    api.verify = str(certificate[0])
    assert api.post(base + "/2011-12-03/auth/login", data={"username": "root", "password": ADMIN_PASSWORD}).status_code == 200

    # The security headers of every page, and cross-site changes refused.
    page = api.get(base + "/console")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    forged = api.post(base + "/2011-12-03/queues", data={"name": "forged"}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "another site" in forged.json()["message"]
    assert api.get(base + "/2011-12-03/queues/forged").status_code == 404

    downloads = workdir / "downloads"
    downloads.mkdir()
    driver = chromium(downloads)
    try:
        # Signing in: a page asked for without a session is the sign-in form (401), which comes back to that page.
        assert requests.get(base + "/console", verify=str(certificate[0])).status_code == 401
        driver.get(base + "/console")
        assert driver.find_element(By.CSS_SELECTOR, "h1").text == "Sign in"
        shoot(driver, "login")
        driver.find_element(By.ID, "f-username").send_keys("root")
        driver.find_element(By.ID, "f-password").send_keys(ADMIN_PASSWORD)
        submit(driver, "Sign in")
        waiting(driver).until(lambda d: "No chat is waiting." in d.find_element(By.ID, "desk").text)
        assert driver.current_url.rstrip("/").endswith("/console")
        status_says(driver, "Signed in.")
        driver.get_log("browser")  # the 401 of the page before signing in was logged; the check at the end covers the rest
        shoot(driver, "desk-empty")

        # A patron's text arrives on the desk by itself (server-sent events), without a reload.
        driver.execute_script("window.stillThisPage = true")
        bridge.send({"op": "receive", "id": "m1", "gateway": 1, "from": PATRON, "body": "Do you have atlases from 1900?"})
        alice.wait_message(lambda m: m.body == "Do you have atlases from 1900?", timeout=10)
        waiting(driver).until(lambda d: "Do you have atlases from 1900?" in d.find_element(By.ID, "desk").text)
        assert driver.execute_script("return window.stillThisPage === true"), "the desk changed without a reload"
        desk = driver.find_element(By.ID, "desk").text
        assert "+1555xxx0001" in desk and PATRON not in desk, "the patron's number is masked on the desk"
        assert "alice" in desk and "available" in desk
        shoot(driver, "desk")

        # The queue's opening hours, changed through its form.
        driver.get(base + "/console/queues/ask")
        hours = driver.find_element(By.ID, "f-openingHours")
        hours.clear()
        hours.send_keys("Mon-Sun 00:00-24:00")
        zone = driver.find_element(By.ID, "f-timeZone")
        zone.clear()
        zone.send_keys("America/Chicago")
        submit(driver, "Settings of ask")
        status_says(driver, "Saved.")
        queue = api.get(base + "/2011-12-03/queues/ask").json()
        assert queue["openingHours"] == "Mon-Sun 00:00-24:00" and queue["timeZone"] == "America/Chicago"
        assert "Mon-Sun 00:00-24:00" in driver.find_element(By.CSS_SELECTOR, "dl.facts").text

        # A refused change says why, in the page's status line.
        hours = driver.find_element(By.ID, "f-openingHours")
        hours.clear()
        hours.send_keys("sometimes")
        submit(driver, "Settings of ask")
        waiting(driver).until(lambda d: "error" in d.find_element(By.ID, "status").get_attribute("class"))
        assert api.get(base + "/2011-12-03/queues/ask").json()["openingHours"] == "Mon-Sun 00:00-24:00"

        # A gateway, added through the queue's page.
        driver.get(base + "/console/queues/ask")
        Select(driver.find_element(By.ID, "f-protocol-add")).select_by_value("twilio")
        driver.find_element(By.ID, "f-username-add").send_keys("+15550000002")
        driver.find_element(By.ID, "f-password-add").send_keys("AC-token-123")
        submit(driver, "Add a gateway to ask")
        status_says(driver, "Saved.")
        assert "+15550000002" in driver.find_element(By.CSS_SELECTOR, "table").text or "+15550000002" in driver.page_source
        gateways = api.get(base + "/2011-12-03/queues/ask/gateways").json()
        assert [g["username"] for g in gateways] == ["+15550000001", "+15550000002"]
        shoot(driver, "queue")

        # The librarian answers; the chat's transcript and the statistics show it.
        alice.send(patron_jid(prosody, PATRON), "Yes: the map room, second floor.")
        bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Yes: the map room, second floor.")
        driver.get(base + "/console/chats?text=atlases")
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) == 1
        shoot(driver, "chats")
        rows[0].find_element(By.CSS_SELECTOR, "a").click()
        WebDriverWait(driver, 10).until(lambda d: "Yes: the map room, second floor." in d.page_source)
        shoot(driver, "transcript")

        driver.get(base + "/console/statistics")
        total = driver.find_element(By.XPATH, "//tr[th[text()='Total']]").text.split()
        assert total[1:3] == ["1", "1"], f"one chat started and answered: {total}"
        assert driver.find_element(By.CSS_SELECTOR, "svg[role=img] title").text.startswith("Chats started and answered")
        shoot(driver, "statistics")

        # The CSV export, downloaded by the browser itself.
        driver.find_element(By.PARTIAL_LINK_TEXT, "Export these chats as CSV").click()
        exported = wait_until(lambda: [p for p in downloads.glob("*.csv")], 15, "the CSV download")
        rows = list(csv.reader(io.StringIO(exported[0].read_text())))
        assert rows[0][:5] == ["chat_id", "queue", "channel", "librarian", "patron"]
        assert rows[1][1:7] == ["ask", "test", "alice", "'+1555xxx0001", "ongoing", "answered"]

        for name in ("gateways", "staff"):
            driver.get(base + f"/console/{name}")
            shoot(driver, name)

        # Every form field has a label; nothing came from another origin; the page logged no error (a CSP violation
        # would be one).
        for name in ("", "/queues/ask", "/staff", "/statistics", "/chats"):
            driver.get(base + "/console" + name)
            unlabelled = driver.execute_script(
                "return [...document.querySelectorAll('input,select')].filter(e => !e.labels || e.labels.length === 0).map(e => e.name)")
            assert unlabelled == [], f"{name}: fields without a label: {unlabelled}"
            origins = driver.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
            assert set(origins) <= {base}, origins
        # (The refused opening hours were answered 400 on purpose; the browser logs every 4xx answer it fetched.)
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
                  and not ("/2011-12-03/queues/ask" in entry["message"] and "400" in entry["message"])]
        assert errors == [], errors

        # Phone width: the page does not scroll sideways (wide tables scroll inside their own region).
        driver.set_window_size(390, 844)
        for name in ("", "/statistics", "/queues/ask"):
            driver.get(base + "/console" + name)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name or '/'} is {overflow}px wider than a phone"
        driver.get(base + "/console")
        driver.save_screenshot(str(ARTIFACTS / "desk-phone.png"))
    finally:
        driver.quit()
    report(request.config, f"web console in Chromium: signed in, live desk, opening hours, gateway, CSV export; "
                           f"{len(list(ARTIFACTS.glob('*.png')))} screenshots in {ARTIFACTS.relative_to(ROOT)}; "
                           f"took {time.monotonic() - began:.1f} s")
    assert router.process.poll() is None
