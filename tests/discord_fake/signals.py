"""A wake-up signal for code that waits until some state of the fake server holds."""

import asyncio
from collections.abc import Callable


class ChangeSignal:
    """Wakes every waiter when the state it watches may have changed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake the current waiters, while later waiters wait for the next notification."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Return once ``predicate()`` is true, checked again after every notification.

        Raises TimeoutError naming ``what`` if it is still false after ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}") from None
