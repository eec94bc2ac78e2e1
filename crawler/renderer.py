"""One Chromium through Playwright (started on first use) that renders a page, answering
every request the page makes through a given ``fetch`` coroutine and refusing its WebSockets;
Chromium runs in a network namespace of its own where one can be made (crawler/netns.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.netns import namespace_prefix, write_wrapper

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


@dataclass
class Rendered:
    url: str
    status: int | None
    html: str
    cookies: list = field(default_factory=list)
    links: list = field(default_factory=list)  # from JSON answers


class BrowserUnavailable(Exception):
    pass


class Renderer:
    """One Chromium (started on first use), a fresh context per page, every request of
    the page answered by ``fetch`` (a coroutine: Playwright request -> Scrapy response)."""

    def __init__(self, settings):
        self.executable = settings.get("UNION_BROWSER_EXECUTABLE") or "/usr/bin/chromium"
        self.timeout = settings.getfloat("UNION_BROWSER_PAGE_TIMEOUT")
        self.heap_mb = settings.getint("UNION_BROWSER_JS_HEAP_MB")
        self.user_agent = settings.get("USER_AGENT")
        self.semaphore = asyncio.Semaphore(max(1, settings.getint("UNION_BROWSER_PAGES")))
        self.netns = settings.getbool("UNION_BROWSER_NETNS")
        self._launch_path: str | None = None  # Chromium, or its namespace wrapper
        self._wrapper_dir: str | None = None
        self._playwright = None
        self._browser = None

    def missing(self) -> str | None:
        """Why no browser can run here, or None."""
        if not os.access(self.executable, os.X_OK):
            return f"Chromium not found at {self.executable} (apt-get install chromium)"
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            return "the Python package playwright is not installed (pip install -e '.[browser]')"
        return None

    def launch_path(self) -> str:
        """What Playwright starts: Chromium, or a wrapper that starts it in a network namespace
        of its own (decided once; where none can be made, said once in the log)."""
        if self._launch_path is None:
            self._launch_path = self.executable
            prefix, why = namespace_prefix() if self.netns else (None, "")
            if prefix is not None:
                self._wrapper_dir = tempfile.mkdtemp(prefix="union-chromium-")
                wrapper = write_wrapper(self._wrapper_dir, prefix, self.executable)
                self._launch_path = str(wrapper)
                logger.info(
                    "Chromium runs in a network namespace of its own (%s)", shlex.join(prefix)
                )
            elif self.netns:
                logger.warning(
                    "Chromium runs without a network namespace of its own: %s (its WebSockets are "
                    "still refused and its requests still go through the crawl)",
                    why,
                )
        return self._launch_path

    async def _launch(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        from playwright.async_api import async_playwright

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            f"--js-flags=--max-old-space-size={self.heap_mb}",
        ]
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.launch_path(), headless=True, args=args
            )
        except Exception as exc:
            raise BrowserUnavailable(f"Chromium did not start: {one_line(exc)}") from exc
        return self._browser

    async def render(
        self,
        url: str,
        first: tuple[int, dict[str, str], bytes],
        cookies: list[dict],
        fetch: Callable[..., Awaitable[tuple]],
        blocked: Callable[[str], str | None],
    ) -> Rendered:
        """Open ``url`` (an app route in its fragment kept, for the page's scripts)
        answering its first navigation with ``first`` (status, headers, body);
        ``blocked(url)`` says why a request may not leave (or None); a WebSocket never
        leaves (``blocked`` is told its ws:// or wss:// URL)."""
        async with self.semaphore:
            browser = await self._launch()
            context = await browser.new_context(
                user_agent=self.user_agent, locale="zh-CN", service_workers="block"
            )
            try:
                return await asyncio.wait_for(
                    self._render(context, url, first, cookies, fetch, blocked), self.timeout
                )
            except TimeoutError:
                raise TimeoutError(f"page not rendered within {self.timeout:g} s") from None
            finally:
                try:
                    await context.close()
                except Exception:  # a crashed browser has no context left to close
                    pass

    async def _render(self, context, url, first, cookies, fetch, blocked) -> Rendered:
        from playwright.async_api import Error as PlaywrightError

        if cookies:
            await context.add_cookies(cookies)

        async def refuse_socket(ws):
            blocked(ws.url)
            try:
                await ws.close(code=1008, reason="WebSockets are not crawled")
            except PlaywrightError:
                pass  # the page went away: its socket with it

        # a WebSocket passes no page.route: without this it would go straight out of Chromium
        await context.route_web_socket("**/*", refuse_socket)
        page = await context.new_page()
        crashed = asyncio.get_running_loop().create_future()
        page.on("crash", lambda _: crashed.done() or crashed.set_result("the page crashed"))
        state = {"first": first, "status": None, "links": []}
        target = url.split("#")[0]  # the navigation's request (a fragment is never sent)

        async def route(route):
            request = route.request
            main = request.is_navigation_request() and request.frame == page.main_frame
            try:
                if state["first"] is not None and main and request.url == target:
                    status, headers, body = state["first"]
                    state["first"] = None
                else:
                    why = blocked(request.url)
                    if why:
                        await route.abort("blockedbyclient")
                        return
                    cookie = "; ".join(
                        f"{c['name']}={c['value']}" for c in await context.cookies([request.url])
                    )
                    try:
                        status, headers, body, links = await fetch(request, cookie)
                    except IgnoreRequest:
                        await route.abort("blockedbyclient")
                        return
                    state["links"] += links
                if main:
                    state["status"] = status
                await route.fulfill(status=status, headers=headers, body=body)
            except PlaywrightError:
                pass  # the page went away (a new navigation, closed): nothing to answer
            except Exception as exc:
                logger.info("browser request %s failed: %s", request.url, one_line(exc))
                try:
                    await route.abort("failed")
                except PlaywrightError:
                    pass

        await page.route("**/*", route)

        async def load():
            try:
                await page.goto(url, wait_until="load")
            except PlaywrightError as exc:
                if not any(
                    w in str(exc) for w in ("interrupted by another navigation", "ERR_ABORTED")
                ):
                    raise
            # scripts that reload (challenges) or fetch (apps): wait until the network rests
            for _ in range(3):
                try:
                    await page.wait_for_load_state("networkidle")
                    return await page.content()
                except PlaywrightError as exc:
                    if "navigat" not in str(exc).lower():
                        raise
            return await page.content()

        done, _ = await asyncio.wait(
            [asyncio.ensure_future(load()), crashed], return_when=asyncio.FIRST_COMPLETED
        )
        if crashed in done:
            raise RuntimeError(crashed.result())
        html = done.pop().result()
        return Rendered(
            url=page.url,
            status=state["status"],
            html=html,
            cookies=await context.cookies(),
            links=state["links"],
        )

    async def close(self) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()
        except Exception:  # a dead browser: nothing left to close
            pass
        self._browser = self._playwright = None
        if self._wrapper_dir is not None:
            shutil.rmtree(self._wrapper_dir, ignore_errors=True)
        self._wrapper_dir = self._launch_path = None


def one_line(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or exc.__class__.__name__)[:300]
