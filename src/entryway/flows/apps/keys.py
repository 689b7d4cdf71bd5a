"""The keys that sign ID and logout tokens: RS256 and ES256, shared by every site's
issuer, the private halves sealed in the database (like TOTP secrets).

Rotation never breaks a client that caches JWKS: a new key is published at once but signs
only from ``app_policy.key_publish`` later; the key it replaces stays published until
every token it signed has expired.

```mermaid
stateDiagram-v2
    [*] --> published: entryway keys rotate (in JWKS, not signing yet)
    published --> signing: active_from reached
    signing --> retired: a newer key of its algorithm starts signing
    retired --> [*]: drop_after (its last tokens have expired): out of JWKS
```
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from entryway.flows.apps.records import SigningKey
from entryway.flows.ports import Deps, UnitOfWork

ALGORITHMS = ("RS256", "ES256")
AFTER_RETIREMENT = timedelta(hours=1)  # at least this long in JWKS once retired


def _generate(alg: str) -> RSAKey | ECKey:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"signing algorithm must be RS256 or ES256, got {alg!r}")


def _new_key(deps: Deps, alg: str, active_from: datetime) -> SigningKey:
    private = _generate(alg)
    kid = private.thumbprint()  # RFC 7638: stable, and names the key's public half
    public = {str(k): str(v) for k, v in private.as_dict(private=False).items()}
    pem = private.as_pem(private=True)
    return SigningKey(
        kid=kid,
        alg=alg,
        private_sealed=deps.sealer.seal(pem),
        public_jwk={**public, "kid": kid, "alg": alg, "use": "sig"},
        created_at=deps.clock.now(),
        active_from=active_from,
    )


def _signer(keys: list[SigningKey], alg: str, now: datetime) -> SigningKey | None:
    """The key of ``alg`` signing now: the newest one active and not retired by now."""
    live = [
        k
        for k in keys
        if k.alg == alg and k.active_from <= now and (k.retired_at is None or k.retired_at > now)
    ]
    return max(live, key=lambda k: k.active_from, default=None)


async def ensure_keys(deps: Deps) -> None:
    """An RS256 and an ES256 key signing now, made if missing (at start, and by the demo)."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        found = await uow.apps.keys(now)
        for alg in ALGORITHMS:
            if _signer(found, alg, now) is None:
                await uow.apps.add_key(_new_key(deps, alg, now))
        await uow.commit()


def retention(deps: Deps) -> timedelta:
    """How long a retired key stays published: past the longest-lived token it signs."""
    return max(deps.app_policy.id_token, AFTER_RETIREMENT)


async def rotate(deps: Deps, alg: str, *, at_once: bool = False) -> SigningKey:
    """A new key of ``alg``: in JWKS now, signing from ``key_publish`` on (or now, after a
    leak, with ``at_once``); the keys it replaces retire then and stay published for
    ``retention`` more."""
    if alg not in ALGORITHMS:
        raise ValueError(f"signing algorithm must be RS256 or ES256, got {alg!r}")
    now = deps.clock.now()
    starts = now if at_once else now + deps.app_policy.key_publish
    key = _new_key(deps, alg, starts)
    async with deps.uow() as uow:
        await uow.apps.retire_keys(alg, "", starts, starts + retention(deps))
        await uow.apps.add_key(key)
        await uow.commit()
    return key


async def jwks(deps: Deps) -> dict[str, Any]:
    """Every published public key (the next one too, before it signs)."""
    async with deps.uow() as uow:
        found = await uow.apps.keys(deps.clock.now())
    return {"keys": [dict(k.public_jwk) for k in found]}


# Loading a private key checks it, about 30 ms of CPU for RSA-2048: far more than signing
# (0.3 ms). Each process keeps the keys it has unsealed, by kid (the public key's thumbprint)
# and sealed value, so a key rotated in by another instance is simply a new entry.
_UNSEALED: dict[tuple[str, str], RSAKey | ECKey] = {}
_UNSEALED_MAX = 16


def _imported(deps: Deps, key: SigningKey) -> RSAKey | ECKey:
    ref = (key.kid, key.private_sealed)
    found = _UNSEALED.get(ref)
    if found is None:
        pem = deps.sealer.unseal(key.private_sealed)
        found = RSAKey.import_key(pem) if key.alg == "RS256" else ECKey.import_key(pem)
        if len(_UNSEALED) >= _UNSEALED_MAX:
            _UNSEALED.clear()
        _UNSEALED[ref] = found
    return found


async def sign_jwt(
    deps: Deps, uow: UnitOfWork, claims: dict[str, Any], *, alg: str = "RS256", typ: str = "JWT"
) -> str:
    """``claims`` signed by the key of ``alg`` signing now (its kid in the header)."""
    now = deps.clock.now()
    key = _signer(await uow.apps.keys(now), alg, now)
    if key is None:
        raise RuntimeError(f"no {alg} signing key: run `entryway keys rotate --alg {alg} --now`")
    private = _imported(deps, key)
    header = {"alg": alg, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, private, algorithms=[alg])
