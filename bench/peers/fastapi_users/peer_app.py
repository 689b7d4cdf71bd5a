"""A minimal FastAPI-Users service for bench/peers.py (not part of Entryway).

Users in SQLite through SQLAlchemy and aiosqlite; passwords hashed by pwdlib's Argon2Hasher
with Entryway's parameters (argon2id, m=19456 KiB, t=2, p=1, 32-byte hash, 16-byte salt).
Two authentication backends, both bearer tokens:

* ``/auth/jwt/login``: a signed JWT, nothing stored;
* ``/auth/db/login``: a random token stored as one row of the ``accesstoken`` table.

``PEER_DATA`` names the folder of the SQLite file; ``PEER_SECRET`` signs the JWTs.
``python peer_app.py --users N --password P`` creates the tables and the bench's accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin
from fastapi_users.authentication import (
    AuthenticationBackend,
    BearerTransport,
    JWTStrategy,
)
from fastapi_users.authentication.strategy.db import AccessTokenDatabase, DatabaseStrategy
from fastapi_users.password import PasswordHelper
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users_db_sqlalchemy.access_token import (
    SQLAlchemyAccessTokenDatabase,
    SQLAlchemyBaseAccessTokenTableUUID,
)
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

DATA = Path(os.environ["PEER_DATA"])
SECRET = os.environ.get("PEER_SECRET", "bench-only-not-a-secret")

PASSWORDS = PasswordHelper(
    PasswordHash(
        (Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16),)
    )
)


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class AccessToken(SQLAlchemyBaseAccessTokenTableUUID, Base):
    pass


# A writer waits up to 20 s for the other worker's write (as in the allauth peer). With the
# default 5 s an insert sometimes failed with "database is locked": a worker holds the write
# lock across awaits, and its event loop meanwhile runs other requests' hashes.
engine = create_async_engine(
    f"sqlite+aiosqlite:///{DATA / 'peer.sqlite3'}", connect_args={"timeout": 20}
)


@event.listens_for(engine.sync_engine, "connect")
def _pragmas(dbapi_connection, _record) -> None:
    """WAL and synchronous=NORMAL, as Entryway runs SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


sessions = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


async def get_user_db(session: AsyncSession = Depends(get_session)):
    yield SQLAlchemyUserDatabase(session, User)


async def get_token_db(session: AsyncSession = Depends(get_session)):
    yield SQLAlchemyAccessTokenDatabase(session, AccessToken)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_user_manager(user_db: SQLAlchemyUserDatabase = Depends(get_user_db)):
    yield UserManager(user_db, PASSWORDS)


def jwt_strategy() -> JWTStrategy:
    return JWTStrategy(secret=SECRET, lifetime_seconds=3600)


def db_strategy(
    tokens: AccessTokenDatabase[AccessToken] = Depends(get_token_db),
) -> DatabaseStrategy:
    return DatabaseStrategy(tokens, lifetime_seconds=3600)


jwt_backend = AuthenticationBackend(
    name="jwt", transport=BearerTransport("auth/jwt/login"), get_strategy=jwt_strategy
)
db_backend = AuthenticationBackend(
    name="db", transport=BearerTransport("auth/db/login"), get_strategy=db_strategy
)
users = FastAPIUsers[User, uuid.UUID](get_user_manager, [jwt_backend, db_backend])

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
app.include_router(users.get_auth_router(jwt_backend), prefix="/auth/jwt")
app.include_router(users.get_auth_router(db_backend), prefix="/auth/db")


@app.get("/healthz")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


async def create_users(count: int, password: str) -> None:
    """The tables, and shopper1@example.com ... shopperN@example.com with one password."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        for n in range(1, count + 1):
            session.add(
                User(
                    email=f"shopper{n}@example.com",
                    hashed_password=PASSWORDS.hash(password),
                    is_active=True,
                    is_verified=True,
                )
            )
        await session.commit()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Create the bench's users.")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    asyncio.run(create_users(args.users, args.password))
    print(f"created {args.users} users")


if __name__ == "__main__":
    main()
