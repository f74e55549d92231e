"""The daily-driver page in Chromium: every width and both themes, marks on claim lines, forgiving paste, JWE.

Tokens, keys and JWEs are made with PyJWT and jwcrypto (independent of jwtlens). Screenshots go to
``$JWTLENS_SCREENSHOTS`` when it is set (docs/screenshots/ holds the ones the layout was judged by).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import axe_script, serious_violations
from tests.browser.conftest import PageLog

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1100, 1440)
THEMES = ("light", "dark")
SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def rsa_keys() -> list[jwk.JWK]:
    keys = []
    for n in range(3):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key = jwk.JWK.from_pyca(private)
        key.update(kid=f"signing-key-{n}-" + "k" * 40, use="sig", alg="RS256")  # long kids: wide table cells
        keys.append(key)
    return keys


@pytest.fixture(scope="module")
def axe() -> Path:
    found = axe_script()
    if isinstance(found, str):
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(found)
        pytest.skip(found)
    return found


PageAt = Callable[[int, str], Page]


@pytest.fixture
def page_at(browser: Browser, live_server: str, page_log: PageLog) -> Iterator[PageAt]:
    """Pages at a width in a colour scheme; the CSP is bypassed only so that axe can be injected."""
    contexts = []

    def make(width: int, scheme: str) -> Page:
        context = browser.new_context(
            base_url=live_server,
            viewport={"width": width, "height": 900},
            color_scheme=scheme,  # type: ignore[arg-type]
            bypass_csp=True,
            service_workers="block",
        )
        contexts.append(context)
        page = context.new_page()
        page.on("request", page_log.on_request)
        page.on("console", page_log.on_console)
        page.on("pageerror", page_log.on_page_error)
        page.goto("/")
        expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
        return page

    yield make
    for context in contexts:
        context.close()


def busy_token(keys: list[jwk.JWK]) -> str:
    """An RS256 token with long claims, signed by the second key of a JWKS."""
    now = int(time.time())
    claims = {
        "iss": "https://login.example.com/realms/a-rather-long-realm-name/protocol/openid-connect",
        "sub": "user-" + "x" * 120,
        "aud": ["account", "api://some-very-long-audience-identifier/with/a/path"],
        "iat": now - 60,
        "exp": now + 3600 * 24 * 30,
        "scope": " ".join(f"scope:{n}" for n in range(30)),
        "blob": "A" * 400,
        "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-" + "r" * 60]},
    }
    pem = keys[1].export_to_pem(private_key=True, password=None)
    return jwt.encode(claims, pem, "RS256", headers={"kid": keys[1]["kid"]})


def jwks_text(keys: list[jwk.JWK]) -> str:
    return json.dumps({"keys": [json.loads(k.export_public()) for k in keys]}, indent=2)


def no_horizontal_scroll(page: Page) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page scrolls sideways: {width} > {inner}"


def verdict_in_view(page: Page) -> None:
    box = page.locator("#verdict-bar").bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_width_and_theme_fits_keeps_the_verdict_in_view_and_passes_axe(
    page_at: PageAt, axe: Path, rsa_keys: list[jwk.JWK], width: int, theme: str
) -> None:
    page = page_at(width, theme)
    page.locator("#key").fill(jwks_text(rsa_keys))
    page.locator("#token").fill(busy_token(rsa_keys))
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
    expect(page.locator("#verdict-bar")).to_contain_text("200")
    expect(page.locator(".jwks-table tbody tr")).to_have_count(3)
    expect(page.locator("#findings .finding").first).to_be_visible()
    no_horizontal_scroll(page)
    verdict_in_view(page)
    # claim names in the table stay words, never one letter per line
    name = page.locator("#claims tr[data-claim='realm_access'] .claim-name")
    assert name.evaluate("e => e.getBoundingClientRect().width") > name.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize) * 4"
    )
    # the JWKS table scrolls inside its pane, not the page
    table = page.locator(".jwks-table").evaluate("e => e.closest('.pane').getBoundingClientRect().right")
    assert table <= width
    assert page.evaluate("document.documentElement.dataset.theme || ''") in ("", theme)
    shots = os.environ.get("JWTLENS_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / f"page-{width}-{theme}.png"))
    violations = serious_violations(page, axe)
    assert not violations, json.dumps(violations, indent=1)
    page.evaluate("window.scrollTo(0, 700)")
    verdict_in_view(page)
    no_horizontal_scroll(page)


@pytest.mark.parametrize("theme", THEMES)
def test_error_jwe_and_sign_states_pass_axe(page_at: PageAt, axe: Path, theme: str) -> None:
    page = page_at(1100, theme)
    page.locator("#payload-json").fill('{"sub": }')
    expect(page.locator("#edit-error")).to_contain_text("Payload JSON")
    states = {"json error": serious_violations(page, axe)}
    page.locator("#token").fill("abc.def")
    expect(page.locator("#token-error")).to_be_visible()
    states["token error"] = serious_violations(page, axe)
    page.locator("label[for=mode-sign]").click()
    expect(page.locator("#sign-fields")).to_be_visible()
    states["sign mode"] = serious_violations(page, axe)
    bad = {state: found for state, found in states.items() if found}
    assert not bad, json.dumps(bad, indent=1)


def test_the_theme_switch_is_remembered_and_defaults_to_the_os(page_at: PageAt) -> None:
    page = page_at(1100, "dark")
    background = "getComputedStyle(document.body).backgroundColor"
    dark = page.evaluate(background)
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    light = page.evaluate(background)
    assert light != dark
    page.reload()
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(background) == light
    assert page.evaluate("localStorage.getItem('jwtlens-theme')") == "light"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n")) if needle in line)


def test_each_claim_line_carries_its_check_and_rules_join_their_claim(page_at: PageAt) -> None:
    page = page_at(1440, "light")
    now = int(time.time())
    token = jwt.encode({"sub": "ada", "role": "viewer", "iat": now - 7200, "exp": now - 3600}, SECRET, "HS256")
    page.locator("#token").fill(token)
    page.locator("#key").fill(SECRET)
    page.locator("#policy summary").click()
    page.locator("#policy-rules").fill("role equals admin")
    expect(page.locator("#verdict-bar")).to_contain_text("401")
    text = page.locator("#payload-json").input_value()
    layer = page.locator("#payload-layer")
    exp_line, role_line, iat_line = (line_of(text, f'"{name}"') for name in ("exp", "role", "iat"))
    exp = layer.locator(f".mark[data-line='{exp_line}']")
    expect(exp).to_have_class("mark mark-fail")
    expect(exp).to_have_attribute("title", re.compile("exp: fail"))
    role = layer.locator(f".mark[data-line='{role_line}']")
    expect(role).to_have_attribute("title", re.compile("role equals"))
    expect(layer.locator(f".mark[data-line='{iat_line}']")).to_have_count(1)
    # the marks are listed for screen readers, and the caret's line reads its check
    expect(page.locator("#payload-marks li")).to_have_count(layer.locator(".mark").count())
    expect(page.locator("#payload-marks")).to_contain_text("exp: fail")
    page.locator("#payload-json").focus()
    page.keyboard.press("Control+Home")
    for _ in range(exp_line):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#payload-caret")).to_contain_text("exp: fail")
    # a mark is where its line is drawn: beside the exp line of the textarea
    mark_y = exp.bounding_box()["y"]  # type: ignore[index]
    line_height = page.locator("#payload-json").evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    top = page.locator("#payload-json").bounding_box()["y"]  # type: ignore[index]
    padding = page.locator("#payload-json").evaluate("e => parseFloat(getComputedStyle(e).paddingTop)")
    expected = top + padding + exp_line * line_height
    assert abs(mark_y - expected) < line_height / 2, (mark_y, expected)
    # a reordered, re-indented payload finds the same claim lines (by structure, not by layout)
    page.locator("#payload-json").fill('{"exp": 1, "sub": "ada",\n\n   "role": "admin"}')
    expect(layer.locator(".mark[data-line='0']")).to_have_attribute("title", re.compile("exp: fail"))
    expect(layer.locator(".mark[data-line='2']")).to_have_attribute("title", re.compile("role equals"))


@pytest.mark.parametrize(
    ("text", "line"),
    [('{"sub": }', 0), ('{\n  "sub": "a",\n  "exp": 12,,\n}', 2), ('{\n  "a": tru\n}', 1)],
)
def test_a_json_error_is_marked_at_its_line_and_column(page_at: PageAt, text: str, line: int) -> None:
    page = page_at(1100, "light")
    page.locator("#payload-json").fill(text)
    expect(page.locator("#edit-error")).to_contain_text(f"line {line + 1}")
    expect(page.locator(f"#payload-layer .mark-error[data-line='{line}']")).to_have_count(1)
    expect(page.locator("#payload-layer .j-err-at")).to_have_count(1)
    # the layer still holds exactly the text typed, so it lines up with the textarea
    assert page.locator("#payload-layer").text_content() == text
    page.locator("#payload-json").fill('{"sub": "fixed"}')
    expect(page.locator("#payload-layer .mark-error")).to_have_count(0)


def _forgiving_cases(token: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    return {
        "double quotes": f'"{token}"',
        "single quotes": f"'{token}'",
        "line breaks at the dots": f"{header}.\n{payload}.\n{signature}",
        "line breaks inside parts": "\n".join(token[i : i + 40] for i in range(0, len(token), 40)),
        "spaces inside": f"{header}. {payload[:10]} {payload[10:]} .{signature}",
        "token= prefix": f"token={token}",
        "jwt= prefix": f"jwt={token}",
        "quoted, prefixed, wrapped": f'  "jwt={token[:50]}\r\n  {token[50:]}"  ',
        "Bearer prefix (positive control)": f"Bearer {token}",
        "the bare token (positive control)": token,
    }


@pytest.mark.parametrize("case", list(_forgiving_cases("a.b.c")))
def test_a_forgiving_paste_verifies_and_is_coloured_in_place(page_at: PageAt, case: str) -> None:
    page = page_at(1100, "light")
    token = jwt.encode({"sub": "pasted", "exp": int(time.time()) + 600}, SECRET, "HS256")
    page.locator("#key").fill(SECRET)
    pasted = _forgiving_cases(token)[case]
    page.locator("#token").fill(pasted)
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("pasted")
    # the textarea keeps the paste as typed; its layer colours the parts where they stand
    assert page.locator("#token").input_value() == pasted.replace("\r\n", "\n")
    coloured = page.locator("#token-layer .tok-payload").text_content() or ""
    assert "".join(coloured.split()) == token.split(".")[1]
    assert page.locator("#token-layer").text_content() == page.locator("#token").input_value()


def test_a_cut_signature_says_truncated_and_a_whole_one_does_not(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    token = jwt.encode({"sub": "x"}, SECRET, "HS256")
    for cut in (6, 4, 1):  # a length base64url cannot have, and lengths it can (a byte or more short)
        page.locator("#token").fill(token[:-cut])
        expect(page.locator("#pane-encoded")).to_contain_text("looks truncated")
    page.locator("#key").fill(SECRET)
    page.locator("#token").fill(token)
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
    expect(page.locator("#truncated-hint")).to_have_count(0)


@pytest.mark.parametrize("alphabet", ["base64", "base64url"])
def test_a_secret_that_verifies_only_decoded_hints_at_the_encoding(page_at: PageAt, alphabet: str) -> None:
    page = page_at(1100, "light")
    raw = secrets.token_bytes(32)
    while alphabet == "base64url" and "-" not in base64.urlsafe_b64encode(raw).decode():
        raw = secrets.token_bytes(32)  # a text that only base64url reads
    text = (base64.b64encode if alphabet == "base64" else base64.urlsafe_b64encode)(raw).decode().rstrip("=")
    page.locator("#token").fill(jwt.encode({"sub": "x"}, raw, "HS256"))
    page.locator("#key").fill(text)
    expect(page.locator("#verdict-bar")).to_contain_text("Invalid signature")
    expect(page.locator("#encoding-hint")).to_contain_text(alphabet)
    page.locator("#key-encoding").select_option(alphabet)
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
    expect(page.locator("#encoding-hint")).to_have_count(0)
    # positive control: a UTF-8 secret that is simply wrong gets no hint
    page.locator("#key-encoding").select_option("utf8")
    page.locator("#key").fill(secrets.token_urlsafe(32))
    expect(page.locator("#verdict-bar")).to_contain_text("Invalid signature")
    expect(page.locator("#encoding-hint")).to_have_count(0)


def _jwe(claims: dict[str, object]) -> tuple[str, str]:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    token = jwcrypto_jwe.JWE(
        json.dumps(claims).encode(), protected={"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JSON"}
    )
    token.add_recipient(key)
    return token.serialize(compact=True), key.export_to_pem(private_key=True, password=None).decode()


@pytest.mark.parametrize("order", ["token first", "key first"])
def test_a_jwe_shows_its_plaintext_claims_and_timeline_whatever_the_order(page_at: PageAt, order: str) -> None:
    page = page_at(1440, "light")
    now = int(time.time())
    token, private_pem = _jwe({"sub": "sealed", "iat": now - 10, "exp": now + 600, "aud": "api"})
    fields = [("#token", token), ("#key", private_pem)]
    for selector, value in fields if order == "token first" else fields[::-1]:
        page.locator(selector).fill(value)
    expect(page.locator("#verdict-bar")).to_contain_text("Decrypted")
    expect(page.locator("#payload-json")).to_have_value(re.compile(r'\{\n  "sub": "sealed"'))
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("sealed")
    expect(page.locator("#claims tr[data-claim='exp'] .relative")).to_contain_text("expires in")
    expect(page.locator("#claims .timeline")).to_be_visible()
    expect(page.locator("#payload-layer .mark")).not_to_have_count(0)
    parts = page.locator("#token-layer span")
    expect(parts).to_have_count(5)


def test_load_example_asks_before_replacing_the_users_token(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    mine = jwt.encode({"sub": "mine"}, SECRET, "HS256")
    page.locator("#token").fill(mine)
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("mine")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#load-example").click()
    page.wait_for_timeout(300)
    assert page.locator("#token").input_value() == mine
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#load-example").click()
    expect(page.locator("#token")).not_to_have_value(mine)
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")


def test_copy_feedback_appears_beside_the_button_pressed(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    button = page.locator("#editors button.copy").nth(1)
    button.click()
    note = page.locator("#editors button.copy + .copied")
    expect(note).to_have_count(1)
    box, beside = button.bounding_box(), note.bounding_box()
    assert box and beside and abs(box["y"] - beside["y"]) < box["height"] and beside["x"] > box["x"]


def test_generated_keys_go_into_the_key_boxes(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    page.locator("#keygen-kind").select_option("EC:P-256")
    page.locator("#keygen-button").click()
    page.locator("button[data-use=verify]").first.click()
    expect(page.locator("#key")).to_have_value(re.compile("BEGIN PUBLIC KEY"))
    page.locator("button[data-use=sign]").first.click()
    expect(page.locator("#mode-sign")).to_be_checked()
    expect(page.locator("#sign-key")).to_have_value(re.compile("BEGIN PRIVATE KEY"))


def test_the_issuer_box_starts_with_the_tokens_iss(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    token = jwt.encode({"iss": "https://idp.example.test/realms/dev", "sub": "x"}, SECRET, "HS256")
    page.locator("#token").fill(token)
    expect(page.locator("#fetch-iss-keys")).to_be_visible()
    expect(page.locator("#issuer-url")).to_have_value("https://idp.example.test/realms/dev")


@pytest.mark.parametrize("width", [1100, 1440])
def test_the_key_box_stays_put_as_results_arrive(page_at: PageAt, rsa_keys: list[jwk.JWK], width: int) -> None:
    page = page_at(width, "light")
    key = page.locator("#key")
    where = key.bounding_box()
    states = [
        ("#token", busy_token(rsa_keys), "401"),  # an RS256 token against the example's HMAC secret
        ("#key", jwks_text(rsa_keys), "Signature verified"),  # a JWKS: a table of keys appears below
        ("#key", "not a key at all", "401"),
        ("#key", "", "Signature not checked"),
        ("#token", "abc.def", "Cannot decode"),
    ]
    for selector, value, verdict in states:
        page.locator(selector).fill(value)
        expect(page.locator("#verdict-bar")).to_contain_text(verdict)
        assert key.bounding_box() == where, f"the key box moved after {verdict}"


def test_a_huge_token_is_folded_so_the_page_stays_a_few_screens_tall(page_at: PageAt) -> None:
    page = page_at(1440, "light")
    claims = {"sub": "big", "blob": "B" * 150_000, "list": list(range(3000))}
    token = jwt.encode(claims, SECRET, "HS256")
    page.locator("#key").fill(SECRET)
    page.locator("#token").fill(token)
    expect(page.locator("#verdict-bar")).to_contain_text("Signature verified")
    expect(page.locator("#claims tr[data-claim='blob']")).to_contain_text("folded")
    height, screen = page.evaluate("[document.scrollingElement.scrollHeight, innerHeight]")
    assert height < 5 * screen, f"the page is {height / screen:.1f} screens tall"
    no_horizontal_scroll(page)
    # positive control: the layer still holds the whole token, so the textarea lines up to the end
    assert page.locator("#token-layer").text_content() == token


_COUNT_REQUESTS = """() => {
  window.__sent = [];
  document.addEventListener('htmx:beforeRequest', (e) => window.__sent.push([e.detail.elt.id, performance.now()]));
}"""


def test_a_paste_goes_at_once_and_a_burst_of_typing_ends_on_the_last_edit(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    page.evaluate(_COUNT_REQUESTS)
    token = jwt.encode({"sub": "pasted-now"}, SECRET, "HS256")
    # a paste: the request starts inside the input event itself, no debounce
    sent_at = page.evaluate(
        """(token) => {
      const box = document.getElementById('token');
      box.value = token;
      const before = window.__sent.length;
      box.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'}));
      return window.__sent.length - before;
    }""",
        token,
    )
    assert sent_at == 1
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("pasted-now")
    # a burst of typing while answers are on their way: fewer requests than keys, and the last one wins
    page.evaluate("window.__sent = []")
    box = page.locator("#payload-json")
    box.fill('{"sub": "')
    box.press_sequentially("typed-fast", delay=5)
    box.press_sequentially('"}', delay=5)
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("typed-fast")
    sent = page.evaluate("window.__sent.filter((s) => s[0] === 'payload-json').length")
    assert 1 <= sent < len("typed-fast") + 3
    assert page.locator("#payload-layer").text_content() == '{"sub": "typed-fast"}'


def test_an_unchanged_fragment_stays_in_place_and_an_unanswered_edit_is_still_replaced(page_at: PageAt) -> None:
    page = page_at(1100, "light")
    page.locator("#key").fill(SECRET)
    first = jwt.encode({"sub": "first", "exp": int(time.time()) + 600}, SECRET, "HS256")
    page.locator("#token").fill(first)
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("first")
    # tag the nodes now on screen: a swap replaces a node, so a replaced one loses its tag
    page.evaluate("for (const id of ['key-hint', 'claims', 'editors']) document.getElementById(id).__tag = id")
    second = jwt.encode({"sub": "second", "exp": int(time.time()) + 600}, SECRET, "HS256")
    page.locator("#token").fill(second)
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text("second")
    tags = page.evaluate("['key-hint', 'claims', 'editors'].map((id) => document.getElementById(id).__tag || null)")
    assert tags == ["key-hint", None, None]  # the key hint did not change; the claims and editors did
    # an edit typed into the payload editor but not yet answered, then the same token pasted again: the
    # token's payload replaces the unanswered edit (the paste is the newer input)
    page.evaluate("document.getElementById('payload-json').value = '{\"sub\": \"half-typed'")
    page.evaluate(
        """(token) => {
      const box = document.getElementById('token');
      box.value = token;
      box.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'}));
    }""",
        second,
    )
    expect(page.locator("#payload-json")).to_have_value(re.compile(r'"sub": "second"'))
