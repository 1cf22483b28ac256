"""botbuilder's ``CloudAdapter``, with the waste and the traps of 4.17 taken out.

Each customisation below is small, subclasses or wraps a public botbuilder type (nothing in
site-packages is edited), and is covered by ``tests/e2e``. What they fix, as measured (see
``docs/architecture-notes.md`` and the "Turns over HTTP" section of ``BENCHMARKS.md``):

1. **Clients are reused.** Stock ``CloudAdapter`` builds a new ``ConnectorClient`` and a new
   user-token client on *every* turn. Each one builds an msrest ``Configuration`` (whose retry
   policy costs ~2.5 ms, see 2), a new ``requests.Session`` (so a new TCP connection per reply:
   no keep-alive) and new ``MicrosoftAppCredentials`` (so a new MSAL app with an empty token
   cache: with a real app id, every turn would fetch a fresh AAD token, synchronously, on the
   event loop). ``ReusingBotFrameworkAuthentication`` keeps one connector factory per bot app
   id, which keeps one ``ConnectorClient`` per (service URL, audience), and one user-token
   client per app id.
2. **The retry policy is built in microseconds.** msrest's ``ClientRetryPolicy.__init__``
   computes its retry status list as ``[i for i in range(999) if i not in safe_codes]`` where
   ``safe_codes`` is a 501-element *list*: ~500,000 comparisons per client. ``install_msrest_
   retry_fix`` makes ``safe_codes`` a frozenset (the resulting ``Retry`` is identical, tested).
3. **Bad requests are 4xx, not 500.** Stock ``CloudAdapter.process`` answers 500 to malformed
   JSON, a body that is not an object, and a garbage bearer token (``jwt.DecodeError`` escapes;
   only ``PermissionError`` becomes 401). ``IroCloudAdapter.process`` answers 400/415/401.
4. **Invoke bodies are serialised once.** Stock ``process`` runs ``serializer_helper`` over the
   invoke body, which ``ActivityHandler`` has already serialised to a dict: msrest fails on a
   dict and the card action gets HTTP 500. Here a model is serialised, a dict passes through.
5. **Token checks fail fast and never block the event loop.** A header that is not a
   well-formed RS256 JWT with a key id and an issuer is refused before botbuilder sees it (so
   garbage costs no network and no key lookup). A well-formed token is validated by botbuilder,
   on a worker thread with its own event loop, because botbuilder fetches the OpenID signing
   keys with a blocking ``requests.get`` without a timeout (on start, daily, and hourly for an
   unknown key id): done on the bot's loop, a slow or black-holed network would freeze every
   conversation. A check that cannot finish in ``AUTH_TIMEOUT_SECONDS`` answers 503.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future as ConcurrentFuture
from http import HTTPStatus
from typing import Any, TypeVar

import requests
from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from msrest.serialization import Model
from msrest.universal_http import requests as msrest_requests

from bot.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long an inbound token check may take (it can include fetching Microsoft's signing keys).
AUTH_TIMEOUT_SECONDS = 10.0
# Connector clients kept per bot app id. Teams uses a handful of service URLs per region; the cap
# only matters without authentication (local development), where any caller can name any URL.
MAX_CLIENTS_PER_APP = 64
# Longer than any token Azure issues (~1.5-3 kB) and short enough to refuse junk without work.
MAX_TOKEN_LENGTH = 16 * 1024


class BotFrameworkConfig:
    """Our ``Settings`` under the attribute names ``ConfigurationBotFrameworkAuthentication``
    reads (it uses ``getattr`` on a config object, as the samples' ``DefaultConfig`` has)."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id


class AuthenticationUnavailableError(Exception):
    """A token could not be checked in time (e.g. Microsoft's signing keys are unreachable)."""


# -- 2. msrest's retry policy -------------------------------------------------------------------


class SetBasedClientRetryPolicy(msrest_requests.ClientRetryPolicy):
    """msrest's ``ClientRetryPolicy`` with ``safe_codes`` as a frozenset.

    ``ClientRetryPolicy.__init__`` is unchanged and still runs; only its membership test
    ``i not in self.safe_codes`` becomes O(1). The same status codes, in the same order, end up
    in ``Retry.status_forcelist``.
    """

    safe_codes = frozenset(msrest_requests.ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


def install_msrest_retry_fix() -> bool:
    """Make msrest build its retry policy with ``SetBasedClientRetryPolicy``. Idempotent.

    msrest instantiates the policy by its module-global name inside
    ``RequestHTTPSenderConfiguration.__init__``, which every connector, token and Teams client
    runs through; a subclass of any client cannot reach it, so the name is rebound, process-wide.
    The rebinding changes no behaviour (same ``Retry``), only the cost. Returns False, and
    changes nothing, when msrest no longer looks as expected (then there is nothing to fix).
    """
    current = msrest_requests.ClientRetryPolicy
    if current is SetBasedClientRetryPolicy:
        return True
    if current is not SetBasedClientRetryPolicy.__mro__[1] or not isinstance(
        current.safe_codes, list
    ):
        logger.info("msrest's ClientRetryPolicy has changed; retry-policy fix not installed")
        return False
    msrest_requests.ClientRetryPolicy = SetBasedClientRetryPolicy  # type: ignore[misc]
    return True


# -- 1. client reuse ----------------------------------------------------------------------------


class ReusingConnectorFactory(ConnectorFactory):
    """One ``ConnectorClient`` per (service URL, audience), built by botbuilder's own factory.

    ``inner`` is the stock factory for one bot app id, so a client built here is exactly the one
    stock ``CloudAdapter`` would build, and is then kept. Kept clients are safe to share between
    concurrent turns: a client holds no per-turn state, its credentials (and their token cache)
    are per app id and audience, and its ``requests.Session`` is used from the executor threads
    that msrest sends on, as stock msrest does within one client.
    """

    def __init__(
        self,
        inner: ConnectorFactory,
        *,
        default_audience: str | None = None,
        max_clients: int = MAX_CLIENTS_PER_APP,
    ) -> None:
        self._inner = inner
        # The inner factory uses this audience when given none, so both spellings share a key.
        self._default_audience = default_audience
        self._max_clients = max_clients
        self._clients: OrderedDict[tuple[str | None, str | None], ConnectorClient] = OrderedDict()

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience or self._default_audience)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = await self._inner.create(service_url, audience)
        # Another turn may have built one meanwhile: keep the first, so all turns share it.
        client = self._clients.setdefault(key, client)
        self._clients.move_to_end(key)
        while len(self._clients) > self._max_clients:
            # Not closed: an in-flight turn may still hold it; the GC closes its session.
            self._clients.popitem(last=False)
        return client

    @property
    def clients(self) -> list[ConnectorClient]:
        return list(self._clients.values())

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await _close_msrest_client(client)


async def _close_msrest_client(client: Any) -> None:
    """Close an msrest async client's HTTP session; never raise (this runs at shutdown)."""
    try:
        await client.__aexit__(None, None, None)
    except Exception as exc:  # shutdown must go on
        logger.debug("Closing a client failed: %s", type(exc).__name__)


def _app_id(claims_identity: ClaimsIdentity) -> str | None:
    # The same rule as botbuilder's _BuiltinBotFrameworkAuthentication.get_app_id: the audience
    # claim for channel requests, else the appid claim (emulator); None when unauthenticated.
    # Proactive sends carry "" where an anonymous inbound turn has no claim: the same bot.
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return app_id or None


class ReusingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """``ConfigurationBotFrameworkAuthentication`` that hands out kept clients, checks tokens
    off the event loop, and refuses malformed tokens up front. Everything else delegates."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        auth_timeout: float = AUTH_TIMEOUT_SECONDS,
    ) -> None:
        self._inner = inner
        self._auth_timeout = auth_timeout
        self._factories: dict[str | None, ReusingConnectorFactory] = {}
        self._user_token_clients: dict[str | None, UserTokenClient] = {}
        self._worker = BackgroundLoop("iro-bot-token-check")

    # -- inbound ----------------------------------------------------------------------------

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if not auth_header:
            # No token: botbuilder accepts (auth disabled) or raises PermissionError, no I/O.
            result = await self._inner.authenticate_request(activity, auth_header)
        else:
            problem = token_shape_problem(auth_header)
            if problem is not None:
                logger.info("Refused a request: bearer token %s", problem)
                raise PermissionError("Unauthorized: malformed bearer token")
            result = await self._checked_off_loop(
                self._inner.authenticate_request(activity, auth_header)
            )
        result.connector_factory = self._factory_for(_app_id(result.claims_identity))
        return result

    async def _checked_off_loop(self, check: Coroutine[Any, Any, T]) -> T:
        try:
            return await self._worker.run(check, timeout=self._auth_timeout)
        except PermissionError:
            raise
        except (TimeoutError, requests.RequestException) as exc:
            logger.warning(
                "Could not check a bearer token: %s (Microsoft's signing keys unreachable?)",
                type(exc).__name__,
            )
            raise AuthenticationUnavailableError(type(exc).__name__) from exc
        except Exception as exc:
            # botbuilder signals a bad token with many exception types (jwt errors, IndexError
            # for an unknown key id, bare Exception for endorsements): all mean "not valid".
            logger.info("Refused a request: bearer token invalid (%s)", type(exc).__name__)
            raise PermissionError("Unauthorized: invalid bearer token") from exc

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    # -- outbound ---------------------------------------------------------------------------

    def _factory_for(self, app_id: str | None) -> ReusingConnectorFactory:
        factory = self._factories.get(app_id)
        if factory is None:
            identity = ClaimsIdentity(
                {AuthenticationConstants.AUDIENCE_CLAIM: app_id} if app_id else {}, True
            )
            inner = self._inner.create_connector_factory(identity)
            factory = self._factories.setdefault(
                app_id,
                ReusingConnectorFactory(
                    inner, default_audience=self._inner.get_originating_audience()
                ),
            )
        return factory

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        # Proactive sends (continue_conversation, create_conversation) come through here.
        return self._factory_for(_app_id(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            client = self._user_token_clients.setdefault(app_id, client)
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    @property
    def connector_factories(self) -> dict[str | None, ReusingConnectorFactory]:
        return dict(self._factories)

    async def close(self) -> None:
        for factory in self._factories.values():
            await factory.close()
        for client in self._user_token_clients.values():
            await _close_msrest_client(getattr(client, "_client", None))
        self._factories.clear()
        self._user_token_clients.clear()
        self._worker.close()


class BackgroundLoop:
    """A daemon thread running its own event loop, started on first use.

    For botbuilder coroutines that block (a synchronous ``requests.get`` inside ``async def``):
    they block this thread's loop instead of the bot's. One thread is enough: a token check is
    ~0.1 ms of RSA unless keys are being fetched, and then every check waits for those keys.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        future: ConcurrentFuture[T] = asyncio.run_coroutine_threadsafe(
            coroutine, self._ensure_started()
        )
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        # A check blocked on the network cannot be interrupted; don't wait for it forever.
        thread.join(timeout=2.0)
        if not thread.is_alive():
            loop.close()


def token_shape_problem(auth_header: str) -> str | None:
    """Why ``auth_header`` cannot be a Bot Framework token, or None if it might be one.

    Checks only what botbuilder would otherwise discover the expensive or crashing way: the
    ``Bearer`` scheme, three base64url segments, a JSON header naming RS256 (the only algorithm
    botbuilder verifies with) and a key id (without one botbuilder fetches keys, then fails),
    and a JSON payload with an issuer (botbuilder picks the validator by issuer). Signature,
    issuer value, audience, expiry and endorsements are left to botbuilder.
    """
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        return "is not 'Bearer <token>'"
    if len(token) > MAX_TOKEN_LENGTH:
        return "is too long"
    segments = token.split(".")
    if len(segments) != 3 or not all(segments):
        return "is not a JWT (three dot-separated segments)"
    header = _json_segment(segments[0])
    payload = _json_segment(segments[1])
    if header is None or payload is None:
        return "has a header or payload that is not base64url JSON"
    if header.get("alg") != "RS256":
        return "is not signed with RS256"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return "names no signing key (kid)"
    if not isinstance(payload.get("iss"), str) or not payload["iss"]:
        return "names no issuer"
    return None


def _json_segment(segment: str) -> dict[str, Any] | None:
    try:
        raw = _b64url_decode(segment)
        value = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    return value if isinstance(value, dict) else None


def _b64url_decode(segment: str) -> bytes:
    if not segment.isascii():
        raise ValueError("not ASCII")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# -- 3 and 4. the HTTP edge ---------------------------------------------------------------------


class IroCloudAdapter(CloudAdapter):
    """``CloudAdapter`` whose ``process`` answers bad requests with 4xx and serialises invoke
    bodies once. The turn itself (auth, pipeline, middleware, on_turn_error) is botbuilder's."""

    def __init__(self, bot_framework_authentication: ReusingBotFrameworkAuthentication) -> None:
        super().__init__(bot_framework_authentication)
        self.reusing_authentication = bot_framework_authentication

    async def process(
        self, request: web.Request, bot: Bot, ws_response: web.WebSocketResponse | None = None
    ) -> web.Response:
        if request.method != "POST":
            # Streaming (web socket) connections are not used by Teams bots; not offered.
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, "Only POST is accepted here.")
        if request.content_type != "application/json":
            return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send application/json.")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(HTTPStatus.BAD_REQUEST, "The body is not valid JSON.")
        activity, problem = parse_activity(body)
        if activity is None:
            return _error(HTTPStatus.BAD_REQUEST, problem)

        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await self.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError:
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized.")
        except AuthenticationUnavailableError:
            response = _error(HTTPStatus.SERVICE_UNAVAILABLE, "Cannot check the token now.")
            response.headers["Retry-After"] = "5"
            return response

        if invoke_response:
            return web.json_response(
                data=serialise_invoke_body(invoke_response.body),
                # A bot that built an InvokeResponse without a status meant success.
                status=int(invoke_response.status or HTTPStatus.OK),
            )
        return web.Response(status=HTTPStatus.CREATED)

    async def close(self) -> None:
        await self.reusing_authentication.close()


def parse_activity(body: Any) -> tuple[Activity | None, str]:
    """The activity in a request body, or None and what is wrong with it (for a 400)."""
    if not isinstance(body, dict):
        return None, "The body must be a JSON object (an activity)."
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises assorted types for assorted bad input
        return None, "The body is not a valid activity."
    if not isinstance(activity.type, str) or not activity.type:
        return None, "The activity has no type."
    if not isinstance(activity.service_url, str) or not activity.service_url.startswith(
        ("https://", "http://")
    ):
        # Without it the reply would go to botbuilder's default, api.botframework.com.
        return None, "The activity has no serviceUrl."
    if activity.conversation is None or not isinstance(activity.conversation.id, str):
        return None, "The activity has no conversation id."
    return activity, ""


def serialise_invoke_body(body: Any) -> Any:
    """An invoke response body as JSON data: a msrest model is serialised, anything already
    plain (``ActivityHandler`` serialises its own bodies) is passed through unchanged."""
    if isinstance(body, Model):
        return serializer_helper(body)
    return body


def _error(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response({"error": message}, status=int(status))


# -- assembly -----------------------------------------------------------------------------------

TurnErrorHandler = Callable[[Any, Exception], Awaitable[None]]


def create_adapter(
    settings: Settings,
    *,
    on_turn_error: TurnErrorHandler | None = None,
    auth_timeout: float = AUTH_TIMEOUT_SECONDS,
) -> IroCloudAdapter:
    """The adapter for ``settings``, with every customisation above in place."""
    install_msrest_retry_fix()
    authentication = ReusingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(BotFrameworkConfig(settings), logger=logger),
        auth_timeout=auth_timeout,
    )
    adapter = IroCloudAdapter(authentication)
    if on_turn_error is not None:
        adapter.on_turn_error = on_turn_error
    return adapter
