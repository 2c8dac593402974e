"""The console's Redis cache backend: Django's, with one Redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache operation, and redis-py
fills a table of some 200 response callbacks in each (about 0.25 ms of CPU on the benchmark machine).
A badge poll makes two cache operations (the session, the listing) and an API call about ten (the
call budget's claims and turnstile), so that was a fair share of a poll's CPU under load. The client
is thread-safe (its connection pool hands each command a connection), and Django keeps one cache
object per thread anyway, so one client per pool is kept and reused. Everything else is Django's.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
