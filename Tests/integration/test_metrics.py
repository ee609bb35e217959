"""Every daemon's /metrics as docs/operations.md ("Metrics and health") describes it, read with prometheus_client's
parser of the Prometheus text format: only documented families, each with its documented type and labels;
messages counted where they cross, a replayed or resent one once; the connection gauges; refdesk_build_info."""
import subprocess

from conftest import RouterProcess, binary, seed_queue_and_gateway, wait_until
from fake_twilio import FakeTwilio
from oscar_server import OscarServer, PatronClient
from prometheus_text import scrape
from test_aim_bridge import DESK, DESK_PASSWORD, PATRON, PATRON_PASSWORD, AIMBridgeProcess, RouterPeer, gateway
from test_twilio_bridge import ACCOUNT, LIBRARY, TOKEN, TwilioBridgeProcess, free_port, sms

EVERY_DAEMON = {"refdesk_build_info", "refdesk_messages_in_total", "refdesk_messages_out_total",
                "refdesk_delivery_failures_total", "refdesk_outbox_depth"}
ROUTER = EVERY_DAEMON | {"refdesk_bridge_connections", "refdesk_queue_online", "refdesk_gateway_up",
                         "refdesk_offline_inbox_depth", "refdesk_xmpp_connected"}
BRIDGE = EVERY_DAEMON | {"refdesk_router_connected", "refdesk_bridge_gateways", "refdesk_spool_pending"}
TWILIO = BRIDGE | {"refdesk_webhook_rejects_total"}


def version() -> str:
    return subprocess.run([binary("refdesk-router"), "--version"], capture_output=True, text=True, check=True).stdout.strip()


def settled(port: int, expected: dict, what: str, timeout: float = 20):
    """Waits until every (name, labels) in `expected` has its value on /metrics; returns the last scrape."""
    def check():
        current = scrape(port)
        return current if all(current.value(name, **dict(labels)) == value for (name, labels), value in expected.items()) else None
    try:
        return wait_until(check, timeout, what, interval=0.2)
    except AssertionError:
        current = scrape(port)
        wrong = {key: current.value(key[0], **dict(key[1])) for key, value in expected.items()
                 if current.value(key[0], **dict(key[1])) != value}
        raise AssertionError(f"{what}: expected {expected}, differing {wrong}\n{current.text}")


def series(name: str, **labels):
    return name, tuple(labels.items())


def test_the_router_and_the_twilio_bridge_count_each_text_reply_failure_and_refusal_once(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router, gateway_protocol="twilio")
    router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
    router_port = free_port()
    router.config.write_text(router.config.read_text().replace("[router]\n", f'[router]\nmetrics_listen = "127.0.0.1:{router_port}"\n', 1))
    router.start()
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    try:
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base)
        processes.append(bridge)
        bridge.start()
        api.opted_out.add("+15551230002")

        assert bridge.post("sms", sms(1, "+15551230001", "Do you have the atlas?"))[0] == 200
        assert bridge.post("sms", sms(1, "+15551230001", "Do you have the atlas?"))[0] == 200, "Twilio's retry of a MessageSid"
        assert bridge.post("sms", sms(2, "+15551230002", "And maps?"))[0] == 200
        assert bridge.post("sms", sms(3, "+15551230003", "forged"), sign_with="not-the-auth-token")[0] == 403
        # Each patron gets the closed queue's auto-reply; the opted-out one's fails at the API (21610).
        wait_until(lambda: router.query("SELECT count(*) FROM delivery_reports WHERE status IN ('sent', 'failed')")[0][0] == 2,
                   20, "both auto-replies' outcomes at the router")

        twilio = {
            series("refdesk_messages_in_total", protocol="twilio", gateway="1"): 2,
            series("refdesk_messages_out_total", protocol="twilio", gateway="1"): 2,
            series("refdesk_delivery_failures_total", protocol="twilio"): 1,
            series("refdesk_webhook_rejects_total", endpoint="sms", status="403"): 1,
            series("refdesk_router_connected"): 1,
            series("refdesk_bridge_gateways"): 1,
            series("refdesk_spool_pending"): 0,
            series("refdesk_outbox_depth", protocol="twilio"): 0,
            series("refdesk_build_info", version=version()): 1,
        }
        metrics = settled(bridge.port, twilio, "the Twilio bridge's /metrics")
        assert metrics.names == TWILIO

        router_expected = {
            series("refdesk_messages_in_total", protocol="twilio", gateway="1"): 2,
            series("refdesk_messages_out_total", protocol="twilio", gateway="1"): 2,
            series("refdesk_delivery_failures_total", protocol="twilio"): 1,
            series("refdesk_bridge_connections", protocol="twilio"): 1,
            series("refdesk_bridge_connections", protocol="aim"): 0,
            series("refdesk_queue_online", queue="ask"): 0,
            series("refdesk_offline_inbox_depth", queue="ask"): 2,
            series("refdesk_outbox_depth", protocol="twilio"): 0,
            series("refdesk_outbox_depth", protocol="aim"): 0,
            series("refdesk_gateway_up", queue="ask", protocol="twilio", gateway=LIBRARY): 1,
            series("refdesk_xmpp_connected"): 0,
            series("refdesk_build_info", version=version()): 1,
        }
        metrics = settled(router_port, router_expected, "the router's /metrics")
        assert metrics.names == ROUTER
    finally:
        api.stop()


def test_the_aim_bridge_counts_each_im_reply_and_failure_once(workdir):
    port = free_port()
    server = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}).start()
    peer = RouterPeer(workdir / "router.sock", {1: gateway(1, DESK, DESK_PASSWORD, True)})
    bridge = AIMBridgeProcess(workdir, workdir / "router.sock", server,
                              extra=f'metrics_listen = "127.0.0.1:{port}"\nstore_replies_offline = false\n')
    try:
        peer.wait_state(1, "online")
        patron = PatronClient(server, PATRON, PATRON_PASSWORD, buddies=(DESK,)).sign_on()
        patron.send_im("refdesk", "Where are the atlases?")
        peer.wait_messages(1)
        peer.send_message("reply-1", 1, "patron", "Second floor")
        assert patron.next_message()[1] == "Second floor"
        wait_until(lambda: "reply-1" in peer.acked, 10, "the bridge to accept the reply")
        peer.send_message("reply-1", 1, "patron", "Second floor")  # resent, as after a lost acknowledgement
        peer.send_message("late-1", 1, "nobody", "Sorry for the wait")  # not signed on, may not be stored: fails
        wait_until(lambda: peer.status_of("late-1"), 10, "the failed delivery")
        assert peer.status_of("late-1")["status"] == "failed"

        expected = {
            series("refdesk_messages_in_total", protocol="aim", gateway="1"): 1,
            series("refdesk_messages_out_total", protocol="aim", gateway="1"): 2,
            series("refdesk_delivery_failures_total", protocol="aim"): 1,
            series("refdesk_router_connected"): 1,
            series("refdesk_bridge_gateways"): 1,
            series("refdesk_spool_pending"): 0,
            series("refdesk_outbox_depth", protocol="aim"): 0,
            series("refdesk_build_info", version=version()): 1,
        }
        metrics = settled(port, expected, "the AIM bridge's /metrics")
        assert metrics.names == BRIDGE
    finally:
        bridge.kill()
        peer.close()
        server.stop()
