"""FlowStore: single use, expiring, bounded, and bound to the browser's flow id."""

from __future__ import annotations

import pytest
from jwtlens.core.errors import InputError
from jwtlens.oauth import FlowStore, PendingFlow


def flow() -> PendingFlow:
    return PendingFlow("https://idp.example", "client", "secret", "http://127.0.0.1/callback", "openid", "query", None)


def codes(store: FlowStore, flow_id: str | None, state: str | None) -> str:
    with pytest.raises(InputError) as caught:
        store.take(flow_id, state)
    return caught.value.problem.code


def test_taken_once_with_its_own_state() -> None:
    store, pending = FlowStore(), flow()
    flow_id = store.start(pending)
    assert store.take(flow_id, pending.state) == pending
    assert codes(store, flow_id, pending.state) == "oauth_replayed"


def test_each_flow_has_fresh_secrets() -> None:
    flows = [flow() for _ in range(50)]
    for name in ("state", "nonce", "verifier"):
        values = {getattr(f, name) for f in flows}
        assert len(values) == 50 and all(len(v) >= 43 for v in values)


def test_another_browser_or_no_cookie() -> None:
    store, pending = FlowStore(), flow()
    store.start(pending)
    assert codes(store, "someone-elses-id", pending.state) == "oauth_no_flow"
    assert codes(store, None, pending.state) == "oauth_no_flow"


def test_expiry() -> None:
    now = [0.0]
    store, pending = FlowStore(ttl=60, clock=lambda: now[0]), flow()
    flow_id = store.start(pending)
    now[0] = 60.0
    assert codes(store, flow_id, pending.state) == "oauth_no_flow"
    assert store.park(pending.state, {"code": "c"}) is False


def test_bounded_oldest_dropped_first() -> None:
    store = FlowStore(max_flows=3)
    started = [(store.start(f), f) for f in (flow() for _ in range(5))]
    assert len(store._entries) == 3
    assert codes(store, started[0][0], started[0][1].state) == "oauth_no_flow"
    assert store.take(started[-1][0], started[-1][1].state) == started[-1][1]


def test_parked_form_post_answer() -> None:
    store, pending = FlowStore(), flow()
    flow_id = store.start(pending)
    assert store.parked(flow_id) is None
    assert store.park(pending.state, {"state": pending.state, "code": "c"}) is True
    assert store.parked(flow_id) == {"state": pending.state, "code": "c"}
    assert store.take(flow_id, pending.state).parked == {"state": pending.state, "code": "c"}
    assert store.parked(flow_id) is None
