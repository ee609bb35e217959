"""docs/admin-api.openapi.yaml against a live router: every operation it lists is served (and answers as it says),
and schemathesis generates requests from it, valid and invalid, and checks every answer: no 500, a documented status,
the documented content type, headers and body schema, invalid input refused, deleted resources gone."""
import os
import random
import re
import subprocess
from pathlib import Path

import requests
import yaml

from conftest import RouterProcess, report, wait_until
from test_admin_api import ADMIN_PASSWORD, create_user_in_database, free_port

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "admin-api.openapi.yaml"
SCHEMATHESIS = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "schemathesis"


def cleartext_router(workdir, processes):
    """A router whose admin API listens in cleartext on loopback (where the session cookie is not Secure)."""
    port = free_port()
    router = RouterProcess(workdir, extra_config=f'[admin]\ncleartext_listen = ["127.0.0.1:{port}"]\npassword_iterations = 100000\n')
    processes.append(router)
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    router.start()
    wait_until(lambda: "admin API listening" in router.log_text(), 10, "the admin API to listen")
    session = requests.Session()
    session.trust_env = False
    base = f"http://127.0.0.1:{port}"
    login = session.post(base + "/2011-12-03/auth/login", data={"username": "root", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    assert "Secure" not in login.headers["Set-Cookie"], "no Secure flag on the cleartext listener"
    assert session.cookies.get("refdesk_session"), "the client keeps the cookie and sends it back"
    return router, base, session


def documented_operations():
    spec = yaml.safe_load(SPEC.read_text())
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "put", "post", "delete", "options"):
                yield method.upper(), path


def test_every_documented_operation_is_served(workdir, processes):
    router, base, session = cleartext_router(workdir, processes)
    assert session.get(base + "/2011-12-03/auth/whoami").json()["user"] == "root"
    samples = {"{QueueId}": "ask", "{GatewayId}": "1", "{ProtocolName}": "test", "{Username}": "%2B15550000009",
               "{User}": "olive", "{Jid}": "olive%40example.org", "{Queue}": "ask", "{ChatId}": "1"}
    assert session.post(base + "/2011-12-03/queues", data={"name": "ask"}).status_code == 201
    assert session.post(base + "/2011-12-03/users", data={"name": "olive"}).status_code == 201
    operations = list(documented_operations())
    assert len(operations) >= 30
    for method, template in operations:
        path = template
        for name, value in samples.items():
            path = path.replace(name, value)
        # (Streamed: the console's live desk is an event stream that lasts while it is read.)
        with session.request(method, base + path, stream=True) as response:
            # 404 only for a resource that does not exist (a refusal naming it), never for an unknown route.
            assert response.status_code != 405, (method, template, response.text)
            if response.status_code == 404:
                if response.headers["Content-Type"].startswith("application/json"):
                    assert "No such resource" not in response.json()["message"], (method, template)
                else:
                    assert "No such page" not in response.text, (method, template)
            if template.startswith("/console") and template not in ("/console/console.css", "/console/console.js", "/console/icon.svg"):
                assert response.status_code in (200, 303, 401, 404), (template, response.status_code)
    assert router.process.poll() is None


def test_schemathesis_finds_no_failure(workdir, processes, request):
    router, base, session = cleartext_router(workdir, processes)
    # Something to find: a queue with a gateway, a user with a staffing JID.
    assert session.post(base + "/2011-12-03/queues", data={"name": "ask"}).status_code == 201
    assert session.post(base + "/2011-12-03/queues/ask/gateways",
                        data={"username": "+15550000009", "password": "AC123", "protocol": "twilio"}).status_code == 200
    assert session.post(base + "/2011-12-03/users", data={"name": "olive"}).status_code == 201
    assert session.post(base + "/2011-12-03/users/olive/staffing", data={"jid": "olive@example.org"}).status_code == 201
    token = session.cookies.get("refdesk_session")
    seed = int(os.environ.get("REFDESK_SCHEMATHESIS_SEED", random.randrange(1, 2**31)))
    # positive_data_acceptance is left out: the schema cannot say which names exist (409), which opening hours parse,
    # or which time zones the system knows, so valid-looking input is rightly refused; everything else is checked.
    checks = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
              "response_schema_conformance,negative_data_rejection,use_after_free,unsupported_method")
    # The session as the document's `session` security scheme, so schemathesis also checks that leaving it out is refused.
    config = workdir / "schemathesis.toml"
    config.write_text(f'[auth.openapi.session]\napi_key = "{token}"\n')
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", str(SPEC), "--url", base,
               "--checks", checks, "--max-examples", os.environ.get("REFDESK_SCHEMATHESIS_EXAMPLES", "25"),
               "--seed", str(seed), "--phases", "examples,coverage,fuzzing", "--workers", "1",
               # Signing out would end the session every other operation runs in; the console's live desk is an event
               # stream that lasts as long as the page is open (test_console.py reads it in a browser).
               "--exclude-operation-id", "logout", "--exclude-operation-id", "consoleEvents", "--no-color"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=workdir)
    output = result.stdout + result.stderr
    (workdir / "schemathesis.txt").write_text(output)
    selected = re.search(r"Selected:\s+(\d+)/(\d+)", output)
    tested = re.search(r"Tested:\s+(\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    failures = re.search(r"(\d+) failures?", output)
    failure_count = int(failures.group(1)) if failures else 0
    report(request.config,
           f"schemathesis (seed {seed}): operations tested: {tested.group(1) if tested else '?'} of "
           f"{selected.group(2) if selected else '?'} (logout and the console's event stream left out); checks: {checks.replace(',', ', ')}; "
           f"test cases: {cases.group(1) + ' generated, ' + cases.group(2) + ' passed' if cases else '?'}; failures: {failure_count}")
    assert result.returncode == 0 and failure_count == 0, output[-6000:]
    assert tested and int(tested.group(1)) >= 30, output[-3000:]
    assert cases and int(cases.group(1)) == int(cases.group(2)) and int(cases.group(1)) > 500, output[-3000:]
    assert router.process.poll() is None, "the router survived"
    assert "admin request failed" not in router.log_text(), "no internal error"
