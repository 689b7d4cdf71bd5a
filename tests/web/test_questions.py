"""Verification questions over HTTP: the Login & security row, the page and the JSON API."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.web.helpers import csrf_of, register, submit

PW = "quiet-meadow-lantern"
FORM = {
    "question_1": "first_pet",
    "answer_1": "Rex",
    "question_2": "childhood_street",
    "answer_2": "Elm St.",
    "question_3": "first_film",
    "answer_3": "Jaws",
}


async def test_set_up_from_login_and_security(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    overview = await client.get("/account")
    assert "Verification questions" in overview.text and "Not set" in overview.text
    assert 'href="/account/questions" aria-label="Set verification questions"' in overview.text

    page = await client.get("/account/questions")
    assert page.status_code == 200
    for n in (1, 2, 3):
        assert f'<label for="question_{n}">Question {n}</label>' in page.text
        assert f'<label for="answer_{n}">Answer {n}</label>' in page.text
    assert "What was the name of your first pet?" in page.text
    assert ">Save</button>" in page.text

    r = await client.post("/account/questions", data={"csrf": csrf_of(page.text), **FORM})
    assert r.status_code == 303 and r.headers["location"] == "/account?done=questions"
    overview = await client.get(r.headers["location"])
    assert "Your verification questions were saved." in overview.text
    assert (
        "3 questions set on" in overview.text and "Change verification questions" in overview.text
    )

    again = await client.get("/account/questions")  # the questions are chosen, never answers
    assert '<option value="first_pet" selected>' in again.text
    assert "Rex" not in again.text and "Elm St" not in again.text
    activity = (await client.get("/account")).text
    assert "Verification questions set" in activity


async def test_errors_are_tied_to_their_fields_and_answers_not_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    bad = {**FORM, "question_2": "first_pet", "answer_3": "Ana Lopez", "answer_1": "Secret Rex"}
    r = await submit(client, "/account/questions", "/account/questions", bad)
    assert r.status_code == 422
    assert 'id="question_2-error">Choose a different question from the others.' in r.text
    assert 'aria-describedby="question_2-error"' in r.text
    assert 'id="answer_3-error">Don&#39;t use your name' in r.text
    assert "answer_1-error" not in r.text
    assert "Secret Rex" not in r.text  # answers are typed again, never sent back
    assert '<option value="first_film" selected>' in r.text  # the chosen questions stay
    assert "Not set" in (await client.get("/account")).text


async def test_an_old_password_is_asked_again_first(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    world.clock.advance(minutes=11)
    page = await client.get("/account/questions")
    assert "Confirm your password" in page.text
    assert "before changing your verification questions" in page.text
    assert 'name="back" value="/account/questions"' in page.text
    # A form sent after the ten minutes saves nothing and asks for the password.
    r = await client.post("/account/questions", data={"csrf": csrf_of(page.text), **FORM})
    assert "Confirm your password" in r.text and "Not set" in (await client.get("/account")).text

    r = await client.post(
        "/account/reauth",
        data={"csrf": csrf_of(page.text), "back": "/account/questions", "password": PW},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/questions"
    page = await client.get("/account/questions")
    r = await client.post("/account/questions", data={"csrf": csrf_of(page.text), **FORM})
    assert r.headers["location"] == "/account?done=questions"


async def _api_session(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    await register(client, world)
    client.cookies.clear()
    r = await client.post("/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PW})
    assert r.status_code == 200, r.text
    return {"authorization": f"Bearer {r.json()['session_token']}"}


BODY = {
    "answers": [
        {"question_id": "first_pet", "answer": "Rex"},
        {"question_id": "childhood_street", "answer": "Elm St."},
        {"question_id": "first_film", "answer": "Jaws"},
    ]
}


async def test_api_lists_sets_and_shows_no_answers(client: httpx.AsyncClient, world: World) -> None:
    auth = await _api_session(client, world)
    r = await client.get("/api/v1/account/questions", headers=auth)
    assert r.status_code == 200
    body = r.json()
    assert body["chosen"] == [] and body["set_at"] is None
    assert {"id": "first_pet", "text": "What was the name of your first pet?"} in body["questions"]

    r = await client.put("/api/v1/account/questions", headers=auth, json=BODY)
    assert r.status_code == 204, r.text
    body = (await client.get("/api/v1/account/questions", headers=auth)).json()
    assert body["chosen"] == ["first_pet", "childhood_street", "first_film"]
    assert body["set_at"] is not None and "Rex" not in str(body)

    assert (await client.get("/api/v1/account/questions")).status_code == 401


async def test_api_refusals_name_the_field(client: httpx.AsyncClient, world: World) -> None:
    auth = await _api_session(client, world)
    bad = {"answers": [*BODY["answers"][:2], {"question_id": "first_film", "answer": "Jo"}]}
    r = await client.put("/api/v1/account/questions", headers=auth, json=bad)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "answers.2.answer"
    assert "Jo" not in r.json()["error"]["message"]
    r = await client.put("/api/v1/account/questions", headers=auth, json={"answers": []})
    assert r.status_code == 422 and r.json()["error"]["field"] == "answers.0.question_id"


async def test_api_needs_a_recent_password(client: httpx.AsyncClient, world: World) -> None:
    auth = await _api_session(client, world)
    world.clock.advance(minutes=11)
    r = await client.put("/api/v1/account/questions", headers=auth, json=BODY)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await client.post("/api/v1/account/reauthenticate", headers=auth, json={"password": PW})
    assert r.status_code == 204
    r = await client.put("/api/v1/account/questions", headers=auth, json=BODY)
    assert r.status_code == 204


async def test_openapi_documents_both_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    path = spec["paths"]["/api/v1/account/questions"]
    assert set(path) == {"get", "put"}
    assert {"401", "403", "422"} <= set(path["put"]["responses"])
