"""Bounds of the HTTP requests one user can make: a time budget that stops work when it is spent or
when the client leaves, and a cap on requests per user."""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from binational.budget import Budget, current
from binational.config import Settings
from binational.errors import RateLimited, TimeBudgetExceeded

#: How long past its deadline a request may take to stop by itself before the node answers for it
#: (its statements are cancelled at the deadline; Python work between two statements is not).
GRACE_SECONDS = 0.25


def _answer(error: TimeBudgetExceeded) -> tuple[Message, Message]:
    body = orjson.dumps(error.as_json())
    start: Message = {"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(error.retry_after).encode())]}
    return start, {"type": "http.response.body", "body": body}


class RequestBounds:
    """Give every HTTP request a time budget (`request.state.budget`), and keep it:

    - when the client disconnects, or when the deadline passes, the budget is cancelled, which
      cancels the statement running for it and refuses any further one (binational.budget);
    - if the request has not answered `GRACE_SECONDS` after its deadline, the node answers 503 in
      the error shape itself and drops whatever the request sends later.

    The request body is read before the application starts (BodyLimit, outside this, holds it
    already); then this waits for the client's disconnect, as the application would.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.seconds = settings.request_budget_ms / 1000
        self.statement_seconds = settings.statement_timeout_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = Budget(self.seconds, self.statement_seconds)
        scope.setdefault("state", {})["budget"] = budget
        current.set(budget)  # in this request's context only: its tasks and threads copy it
        body: list[Message] = []
        while True:
            message = await receive()
            body.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        gone = asyncio.Event()
        if body[-1]["type"] == "http.disconnect":
            gone.set()

        async def app_receive() -> Message:
            if body:
                return body.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        started = answered = False

        async def app_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the node answered for this request already
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def watch() -> None:
            if not gone.is_set():
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone.set()

        work = asyncio.ensure_future(self.app(scope, app_receive, app_send))
        watcher = asyncio.ensure_future(watch())
        try:
            while not work.done():
                remaining = budget.remaining()
                timeout = None if math.isinf(remaining) else max(0.0, remaining)
                await asyncio.wait({work, watcher}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if work.done():
                    break
                if watcher.done() or budget.remaining() <= 0:
                    await self._stop(budget)
                    await asyncio.wait({work}, timeout=GRACE_SECONDS)
                    if work.done():
                        break
                    if not started and not gone.is_set():
                        answered = True
                        for message in _answer(TimeBudgetExceeded()):
                            await send(message)
                    # Left to finish on its own: its statements are refused from now on.
                    work.add_done_callback(_consume)
                    return
            await work
        finally:
            watcher.cancel()

    @staticmethod
    async def _stop(budget: Budget) -> None:
        if budget.cancelled:
            return
        # cancel() opens a connection to the server: in a thread, not on the event loop, and not in
        # the request thread pool, which the stopped work may have filled.
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished() -> None:
            if not done.done():
                done.set_result(None)

        def cancel() -> None:
            try:
                budget.cancel()
            finally:
                loop.call_soon_threadsafe(finished)

        threading.Thread(target=cancel, name="binational-cancel", daemon=True).start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), timeout=GRACE_SECONDS)


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # the request's own failure after the node answered: nobody is waiting for it


class UserCaps:
    """At most `per_minute` requests per user, as a bucket of that size that refills evenly over a
    minute; kept in this process."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[int, tuple[float, float]] = {}
        self._refused: set[int] = set()
        self._lock = threading.Lock()

    def admit(self, user_id: int) -> None:
        """Take one request from the user's bucket, or refuse with RateLimited, whose `action` is
        `request.limited` for the first refusal of a spell (the one to record)."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            level, then = self._buckets.get(user_id, (float(self.per_minute), now))
            level = min(float(self.per_minute), level + (now - then) * rate)
            if level < 1.0:
                self._buckets[user_id] = (level, now)
                wait = math.ceil((1.0 - level) / rate)
                first = user_id not in self._refused
                self._refused.add(user_id)
                raise RateLimited(f"more than {self.per_minute} requests a minute; try again in {wait} s",
                                  retry_after=wait, action="request.limited" if first else None,
                                  limit="user_requests_per_minute", max_count=self.per_minute)
            self._buckets[user_id] = (level - 1.0, now)
            self._refused.discard(user_id)
            if len(self._buckets) > 100_000:  # users who stopped asking have full buckets: forget them
                self._forget(now, rate)

    def _forget(self, now: float, rate: float) -> None:
        full = [uid for uid, (level, then) in self._buckets.items()
                if level + (now - then) * rate >= self.per_minute]
        for uid in full:
            del self._buckets[uid]
