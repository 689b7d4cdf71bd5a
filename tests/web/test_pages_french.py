"""The sign-in, password, two-step and Login & security pages in French on the Canada site.

Labels are looked up in the fr-CA catalog as the service loads it, never written here in
French: a page passes when it shows the catalog's words and none of the English ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from functools import cache

import httpx
import pytest

from entryway.adapters.i18n import load_catalogs
from entryway.bootstrap import app_for
from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_two_step import turn_on

FR = "fr-CA"
CA = "http://ca.localhost:8000"
FRENCH = {"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"}
PW = "quiet-meadow-lantern"
EMAIL = "ana@example.ca"


@cache
def _catalog() -> dict[str, str]:
    translations = load_catalogs([FR]).get(FR)
    entries = getattr(translations, "_catalog", {})
    return {k: v for k, v in entries.items() if isinstance(k, str) and k and v}


def fr(english: str) -> str:
    """The catalog's French for ``english`` (which must have one)."""
    found = _catalog().get(english)
    assert found and found != english, f"no French for {english!r}"
    return found


def words(page: httpx.Response) -> str:
    """What a reader meets: the text, the title and the accessible names (aria-label, alt,
    title, placeholder), unescaped, one space between words."""
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page.text, flags=re.S)
    named = re.findall(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    # Only ASCII white space is collapsed: the no-break spaces of French typography stay.
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(" ".join([text, *named]))).strip()


def _shows(text: str, seen: str) -> bool:
    """Whether ``text`` is on the page as words of its own (not "Continue" in "Continuer")."""
    return re.search(rf"(?<!\w){re.escape(text)}(?!\w)", seen) is not None


def english_left(page: httpx.Response) -> list[str]:
    """Catalog entries whose English shows on the page instead of their French (texts of
    two words or more, without markup; an entry filled with values is looked for by its
    fixed parts, split at each placeholder)."""
    seen = words(page)
    left = []
    for english, french in _catalog().items():
        if "<" in english or english == french:
            continue
        for part in re.split(r"%\(\w+\)s", english):
            part = " ".join(part.split()).strip(" ,.:")
            if len(part.split()) >= 2 and _shows(part, seen):
                left.append(part)
    return left


def assert_french(page: httpx.Response, *labels: str) -> None:
    """A French page: its language said twice, each label in French, no English left."""
    assert page.status_code == 200, page.text
    assert '<html lang="fr-CA">' in page.text
    assert page.headers["content-language"] == FR
    seen = words(page)
    for label in labels:
        assert fr(label) in seen, (label, seen)
        assert not _shows(label, seen), (label, seen)
    assert english_left(page) == [], english_left(page)


def assert_english(page: httpx.Response, *labels: str) -> None:
    assert page.status_code == 200, page.text
    assert '<html lang="en-CA">' in page.text
    assert page.headers["content-language"] == "en-CA"
    seen = words(page)
    for label in labels:
        assert label in seen, (label, seen)


@pytest.fixture
async def ca(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the Canada site whose language settings put French first."""
    app = app_for(world.runtime, deliver=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(
        transport=transport, base_url=CA, follow_redirects=False, headers=FRENCH
    ) as c:
        yield c


async def follow(client: httpx.AsyncClient, r: httpx.Response) -> httpx.Response:
    assert r.status_code == 303, r.text
    return await client.get(r.headers["location"])


async def test_every_page_of_the_catalog_is_written(world: World) -> None:
    catalog = load_catalogs([FR]).get(FR)
    assert catalog.gettext("Sign in") == fr("Sign in")
    # The glossary's typography: a narrow no-break space before the question mark.
    assert fr("Forgot your password?").endswith("\u202f?")


async def test_sign_in_pages_in_french(ca: httpx.AsyncClient, world: World) -> None:
    signin = await ca.get("/signin")
    assert_french(
        signin, "Sign in", "Email or mobile phone number", "Continue", "Forgot your password?"
    )
    assert fr("Create your account") in words(signin)
    assert fr("Regional sites:") in words(signin)
    assert f">{fr('Ask us')}</a>" in signin.text

    r = await ca.post("/signin", data={"csrf": csrf_of(signin.text), "identifier": EMAIL})
    password = await follow(ca, r)
    assert_french(password, "Password", "Keep me signed in", "Change")

    home = await ca.get("/")
    assert_french(home, "Sign in")
    missing = await ca.get("/no-such-page")
    assert missing.status_code == 404
    assert fr("We couldn't find that page.") in words(missing)
    assert english_left(missing) == []


async def test_wrong_password_and_unknown_identifier_in_french(
    ca: httpx.AsyncClient, world: World
) -> None:
    await register(ca, world, identifier=EMAIL)
    await submit(ca, "/account", "/signout", {})
    r = await submit(ca, "/signin", "/signin", {"identifier": "not an address"})
    assert r.status_code == 422
    assert english_left(r) == [] and '<html lang="fr-CA">' in r.text
    r = await sign_in(ca, EMAIL, "not-the-password")
    assert r.status_code == 200
    assert fr("There was a problem") in words(r)
    assert english_left(r) == []


async def test_register_and_verify_in_french(ca: httpx.AsyncClient, world: World) -> None:
    form = await ca.get("/register")
    assert_french(form, "Create account", "Your name", "Re-enter password")
    r = await ca.post(
        "/register",
        data={
            "csrf": csrf_of(form.text),
            "name": "Ana Lopez",
            "identifier": EMAIL,
            "password": PW,
            "password_again": PW,
        },
    )
    verify = await follow(ca, r)
    assert_french(verify, "Verify your account", "Enter OTP", "Resend OTP")
    r = await ca.post("/register/verify", data={"csrf": csrf_of(verify.text), "code": "000000"})
    assert r.status_code == 422 and english_left(r) == []
    r = await ca.post("/register/verify", data={"csrf": csrf_of(verify.text), "action": "resend"})
    resent = await follow(ca, r)
    assert fr("We sent a new OTP to %(to)s.").split("%(to)s")[0] in words(resent)


async def test_password_assistance_in_french(ca: httpx.AsyncClient, world: World) -> None:
    await register(ca, world, identifier=EMAIL)
    await submit(ca, "/account", "/signout", {})
    start = await ca.get("/password/forgot")
    assert_french(start, "Password assistance", "Email or mobile phone number")
    r = await ca.post("/password/forgot", data={"csrf": csrf_of(start.text), "identifier": EMAIL})
    page = await follow(ca, r)
    assert_french(page, "Password assistance")
    if "choice" in page.text:  # one contact on file goes straight to the code
        r = await ca.post(
            "/password/forgot/choose", data={"csrf": csrf_of(page.text), "choice": "0:email"}
        )
        page = await follow(ca, r)
    assert_french(page, "Enter OTP", "I no longer have access to this email")
    r = await ca.post(
        "/password/forgot/code", data={"csrf": csrf_of(page.text), "code": await world.code(EMAIL)}
    )
    new = await follow(ca, r)
    assert_french(new, "Create new password", "New password", "Save changes")


async def test_login_and_security_in_french(ca: httpx.AsyncClient, world: World) -> None:
    await register(ca, world, identifier=EMAIL)
    account = await ca.get("/account")
    assert_french(
        account, "Login & security", "Signed-in devices", "Sign out everywhere", "Message Center"
    )
    assert fr("Account created") in words(account)  # the activity list
    for path, labels in {
        "/account/name": ("Change your name", "New name", "Save changes"),
        "/account/email": ("Change your email address", "New email address"),
        "/account/phone": ("Add a mobile phone number",),
        "/account/password": ("Change password", "Current password", "Re-enter new password"),
        "/account/messages": ("Message Center",),
        "/account/two-step": ("Two-Step Verification (2SV) Settings", "Add a phone"),
        "/account/two-step/phone": ("Add a phone", "Mobile phone number", "Text message"),
        "/account/questions": ("Verification questions", "Choose a question"),
    }.items():
        assert_french(await ca.get(path), *labels)

    world.clock.advance(minutes=11)  # settings ask for the password again
    reauth = await ca.get("/account/two-step")
    assert_french(reauth, "Confirm your password", "Password")


async def test_two_step_pages_in_french(ca: httpx.AsyncClient, world: World) -> None:
    await register(ca, world, identifier=EMAIL)
    app = await ca.get("/account/two-step/app")
    assert_french(app, "Add an authenticator app", "Enter OTP", "Verify OTP and continue")
    ca.headers["accept-language"] = "en"  # turn_on reads the English page
    await turn_on(ca, world)
    ca.headers.update(FRENCH)
    settings = await ca.get("/account/two-step")
    assert_french(settings, "Your methods", "Backup codes", "Turn off two-step verification")
    assert fr("Authenticator app") in words(settings)
    await submit(ca, "/account", "/signout", {})

    world.clock.advance(seconds=60)
    r = await sign_in(ca, EMAIL, PW)
    challenge = await follow(ca, r)
    assert_french(challenge, "Two-Step Verification", "Enter OTP", "Use a backup method")
    assert_french(await ca.get("/signin/two-step/methods"), "Use a backup code")
    assert_french(await ca.get("/signin/two-step?method=backup"), "Enter a backup code")
    assert_french(await ca.get("/signin/two-step/help"), "Contact Customer Service", "Send")


async def test_english_by_header_or_cookie_and_the_footer_switch(
    ca: httpx.AsyncClient, world: World
) -> None:
    english = await ca.get("/signin", headers={"accept-language": "en"})
    assert_english(english, "Sign in", "Email or mobile phone number", "Forgot your password?")
    assert "Need help signing in?" in english_left(english)  # the check sees English
    assert english_left(await ca.get("/signin")) == []  # French by the header alone

    # The footer's choice, remembered in its cookie, wins over the browser's languages.
    chosen = await ca.get("/signin", headers={"cookie": "ew_lang=en-CA"})
    assert_english(chosen, "Sign in", "Continue")

    r = await ca.post("/language", data={"csrf": csrf_of(chosen.text), "lang": "en-CA"})
    assert r.status_code == 303 and "ew_lang=en-CA" in r.headers["set-cookie"]
    english = await ca.get("/register")
    assert_english(english, "Create account", "Your name")

    # The footer's Français button switches back, and comes back to the same page.
    assert '<button type="submit" name="lang" value="fr-CA" lang="fr-CA"' in english.text
    r = await ca.post(
        "/language", data={"csrf": csrf_of(english.text), "lang": "fr-CA", "back": "/register"}
    )
    assert r.status_code == 303 and r.headers["location"].endswith("/register")
    again = await ca.get("/register", headers={"accept-language": "en"})
    assert_french(again, "Create account", "Your name")


async def test_code_pages_of_a_new_phone_in_french(ca: httpx.AsyncClient, world: World) -> None:
    await register(ca, world, identifier=EMAIL)
    phone = "+15145550123"
    r = await submit(ca, "/account/phone", "/account/phone", {"identifier": phone})
    verify = await follow(ca, r)
    assert_french(verify, "Confirm your new mobile phone number", "Enter OTP", "Resend OTP")
    assert fr("Wrong mobile phone number? Go back and correct it") in words(verify)

    r = await submit(
        ca, "/account/two-step/phone", "/account/two-step/phone", {"identifier": phone}
    )
    code_page = await follow(ca, r)
    assert_french(code_page, "Add a phone", "Enter OTP", "Verify OTP and continue")
    r = await ca.post(
        "/account/two-step/phone/verify",
        data={"csrf": csrf_of(code_page.text), "code": await world.code(phone)},
    )
    codes = await follow(ca, r)
    assert_french(codes, "Your backup codes", "Download as a text file", "Done")
    settings = await ca.get("/account/two-step")
    assert_french(settings, "Your methods")
    assert fr("Phone %(masked)s").split("%(masked)s")[0] in words(settings)
    download = await ca.post(
        "/account/two-step/backup-codes.txt",
        data={"csrf": csrf_of(codes.text), "codes": ["abcd-efgh-jkmn-pqrs"]},
    )
    assert fr("Each code works once. Keep them somewhere safe.") in download.text


async def test_the_message_center_says_in_french_where_a_code_went(
    ca: httpx.AsyncClient, world: World
) -> None:
    """A code message is never shown; the words standing in for it are the reader's."""
    await register(ca, world, identifier=EMAIL)
    await world.deliver()
    center = await ca.get("/account/messages")
    said = fr("A one-time code was sent to {masked}. Codes are never shown here.")
    assert said != "A one-time code was sent to {masked}. Codes are never shown here."
    assert said.split("{masked}")[0] in words(center)
    assert "Codes are never shown here." not in center.text
    english = await ca.get("/account/messages", headers={"accept-language": "en-CA"})
    assert "Codes are never shown here." in html.unescape(english.text)
