"""The store tests' own Redis and PostgreSQL answer, and each test gets them clean."""

from __future__ import annotations

import psycopg
import redis.asyncio as aioredis

from stores_support import PostgresServer, RedisServer


async def test_redis_server_answers(redis_server: RedisServer) -> None:
    client = aioredis.from_url(redis_server.url)
    try:
        assert await client.set("mcproute:probe", "1", nx=True, px=1000)
        assert not await client.set("mcproute:probe", "1", nx=True, px=1000)
    finally:
        await client.aclose()


async def test_postgres_server_answers(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("probe")
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute("SHOW fsync")
        assert await cursor.fetchone() == ("on",)
