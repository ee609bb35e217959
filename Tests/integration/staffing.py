"""A whole staffed desk for integration tests: Prosody, the router as its component, a test bridge standing in
for a gateway, and librarians. Used by the staffing, Twilio and AIM end-to-end tests."""
from conftest import BridgeProcess, RouterProcess, wait_until

OFFLINE_REPLY = "The library is closed now; a librarian will answer when we open."


def router_for(workdir, prosody, extra_config: str = "") -> RouterProcess:
    return RouterProcess(
        workdir,
        extra_config=(
            f'[xmpp]\nserver = "127.0.0.1:{prosody.component_port}"\ndomain = "{prosody.component_domain}"\n'
            f'secret = "{prosody.component_secret}"\n{extra_config}'
        ),
    )


def seed_desk(router: RouterProcess, operators: dict, queues: dict | None = None, gateway_protocol: str = "test"):
    """Creates the schema, then queues (name → (policy, limit)), gateway 1 (+15550000001) on the first queue, and
    operators (name → ([staffing JIDs], [queues]))."""
    queues = queues or {"ask": ("ring-all", 0)}
    router.start()
    assert router.stop() == 0
    statements = []
    for name, (policy, limit) in queues.items():
        statements.append(
            f"INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('{name}', '{policy}', {limit}, '{OFFLINE_REPLY}');")
    first = next(iter(queues))
    statements.append(
        "INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) "
        f"VALUES ('{gateway_protocol}', '{first}', '+15550000001', '+15550000001', '', 0);")
    for name, (jids, assigned) in operators.items():
        statements.append(f"INSERT INTO operators (name, role) VALUES ('{name}', 'operator');")
        statements += [f"INSERT INTO staffing_jids (jid, operator) VALUES ('{jid}', '{name}');" for jid in jids]
        statements += [f"INSERT INTO assignments (operator, queue) VALUES ('{name}', '{queue}');" for queue in assigned]
    router.seed("\n".join(statements))


def patron_jid(prosody, number: str) -> str:
    return f"{number}@{prosody.component_domain}"


def start_bridge(workdir, router, processes) -> BridgeProcess:
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    return bridge


def wait_queue_online(bridge: BridgeProcess, online: bool = True, timeout: float = 15):
    return bridge.wait_event(lambda e: e["event"] == "online" and e["online"] == online, timeout)
