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
   dict and the card action gets HTTP 500. Here a model is serialised (as ``serializer_helper``
   would, by item 8's writer), a dict passes through.
5. **Token checks fail fast and never block the event loop.** A header that is not a
   well-formed RS256 JWT with a key id and an issuer is refused before botbuilder sees it (so
   garbage costs no network and no key lookup). A well-formed token is validated by botbuilder,
   on a worker thread with its own event loop, because botbuilder fetches the OpenID signing
   keys with a blocking ``requests.get`` without a timeout (on start, daily, and hourly for an
   unknown key id): done on the bot's loop, a slow or black-holed network would freeze every
   conversation. A check that cannot finish in ``AUTH_TIMEOUT_SECONDS`` answers 503.
6. **Reply bodies are serialised once.** msrest's ``Serializer.body`` first rebuilds the reply
   ``Activity`` as a new model, then validates it (no botbuilder model declares a constraint),
   then serialises it, and walks an Adaptive Card's content (an ``object`` field) value by value
   each time: ~1.5 ms for a card, a tenth of a bot turn. ``ModelBodySerializer`` skips the
   rebuild and the validation for a model of the declared type (when item 8's writer takes it;
   anything else goes through msrest's whole ``body``), and passes plain JSON (dicts with string
   keys, lists, strings, numbers, booleans, None: what our card builders return) through as it
   is, which is what msrest's walk returns for it, value for value (tested against msrest on our
   replies). Installed on the clients ``ReusingConnectorFactory`` keeps.
7. **Replies go out over aiohttp, not ``requests`` on a thread.** msrest's async client runs the
   synchronous ``requests`` library in the default executor: every reply is a thread hand-off
   and ~2 ms of CPU (of a ~13 ms turn). ``use_aiohttp_transport`` gives each kept client a
   pipeline whose sender is an ``aiohttp`` session on the event loop (``AiohttpSender``) and
   whose credentials policy puts the same ``Authorization`` header on the request
   (``SignedHeaderPolicy``). msrest's retry behaviour is rebuilt deliberately, from the same
   ``config.retry_policy``, and tested side by side with msrest's own (``tests/e2e/
   test_transport.py``): a connection that cannot be made is retried for every method; a
   request that was sent and then failed or timed out, and the statuses msrest retries (408,
   500, 502-504, 506+), only for the methods urllib3 retries (not POST: a reply is never sent
   twice); backoff 0, 1.6, 3.2 s, or ``Retry-After`` on a 503; when the status retries run
   out, ``ClientRequestError``, as msrest raises. A client with settings this sender does not
   carry (explicit proxies, a certificate, TLS verification off, hooks) keeps msrest's. The
   environment's proxy (msrest's ``use_env_settings``) is read once per host: aiohttp's own
   ``trust_env`` looks it, and ``~/.netrc``, up on the thread pool for every request (two
   thread hand-offs, ~1.3 ms of CPU a reply).
8. **Activities are read, and bodies written, by compiled attribute maps.** msrest interprets
   a model's ``_attribute_map`` afresh for every value (a copy of its description, a key
   transformer and a regex split, a chain of type tests, an exception per absent attribute):
   ~0.2-0.3 ms to read a Teams message (``Activity().deserialize``), ~0.2-0.3 ms to write a
   reply even after item 6, ~0.45 ms for ``serializer_helper`` to write a card action's answer.
   ``bot/model_json.py`` compiles each model's map once and does only what msrest would do with
   each value: ``parse_activity`` reads with ``read_activity``; ``ModelBodySerializer.body``
   and ``serialise_invoke_body`` (item 4) write with ``ModelWriter``: ~20-35 µs each
   (``benchmarks/model_json_bench.py``). It is exact or it steps aside: anything it is not sure
   msrest treats the same way (a non-string in a string field, a timestamp outside the usual
   layouts, a tuple, an enum-typed field, an unknown type string, a flattened key...) sends the
   *whole* activity or body to msrest, so msrest's result, or its exception (the same 400),
   still comes out. Held to msrest, attribute by attribute, by property tests over generated
   and hostile activities and models (``tests/unit/test_model_json.py``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future as ConcurrentFuture
from http import HTTPStatus
from typing import Any, TypeVar

import aiohttp
import requests
from aiohttp import web
from aiohttp.helpers import get_env_proxy_for_url
from botbuilder.core import Bot, serializer_helper
from botbuilder.core.serializer_helper import DEPENDICIES_DICT as SERIALIZER_HELPER_MODELS
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline import Request as PipelineRequest
from msrest.pipeline import Response as PipelineResponse
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model, Serializer, full_restapi_key_transformer
from msrest.universal_http import ClientRequest
from msrest.universal_http import requests as msrest_requests
from msrest.universal_http.async_abc import AsyncClientResponse
from requests.structures import CaseInsensitiveDict
from urllib3.util.retry import Retry
from yarl import URL

from bot.model_json import ModelWriter, is_plain_json, read_activity
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


# -- 6 and 8. reply serialisation ---------------------------------------------------------------


class ModelBodySerializer(Serializer):
    """msrest's ``Serializer`` without the work that cannot change a body we built (6, 8)."""

    def __init__(self, classes: dict[str, type] | None = None) -> None:
        super().__init__(classes)
        self.writer = ModelWriter(self.dependencies)

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        # A model of exactly the declared type (the Activity botbuilder made from ours) whose
        # every value ModelWriter is sure of: rebuilding it as the same model and validating it
        # (no model it compiles declares a rule) would change nothing, and the compiled walk
        # writes what msrest's walk writes (item 8). Anything else (a dict, a subclass, an odd
        # value anywhere inside) takes msrest's own path, rebuild and validation included.
        if (
            type(data) is self.dependencies.get(data_type)
            and not kwargs
            and self.key_transformer is full_restapi_key_transformer
        ):
            try:
                return self.writer.write(data)
            except Exception:  # Unsure, or any surprise: msrest decides
                pass
        return super().body(data, data_type, **kwargs)

    def serialize_object(self, attr: Any, **kwargs: Any) -> Any:
        # msrest copies plain JSON value by value into the same values; it is passed through.
        if is_plain_json(attr):
            return attr
        return super().serialize_object(attr, **kwargs)


def use_model_body_serializer(client: object) -> None:
    """Give a ``ConnectorClient`` and its operation groups (which share its serializer) one
    ``ModelBodySerializer`` with the same models. Anything else is left as it is."""
    current = getattr(client, "_serialize", None)
    if type(current) is not Serializer:
        return  # not an msrest client as botbuilder builds one (or already done)
    serializer = ModelBodySerializer(current.dependencies)
    for holder in (client, getattr(client, "conversations", None),
                   getattr(client, "attachments", None)):  # fmt: skip
        if getattr(holder, "_serialize", None) is current:
            holder._serialize = serializer  # type: ignore[union-attr]


# -- 7. replies over aiohttp -----------------------------------------------------------------------

#: The methods urllib3 (under msrest) retries after a request was sent: not POST or PATCH.
IDEMPOTENT_METHODS = Retry.DEFAULT_ALLOWED_METHODS


class SignedHeaderPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """msrest's ``AsyncRequestsCredentialsPolicy`` without a ``requests`` session to send on.

    botframework's ``AppCredentials.signed_session(session)`` sets (or, without an app id,
    removes) the ``Authorization`` header on the session it is given, getting the token from
    its MSAL cache; here it signs a stand-in session that never sends, and the header is copied
    onto the request. Called on the event loop, as msrest's policy calls it.
    """

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials
        self._signer = requests.Session()  # only its headers are used

    async def send(self, request: PipelineRequest, **kwargs: Any) -> PipelineResponse:
        self._signer.headers.pop("Authorization", None)
        self._credentials.signed_session(self._signer)
        authorization = self._signer.headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization
        return await self.next.send(request, **kwargs)  # type: ignore[union-attr]


class _AiohttpResponse(AsyncClientResponse):
    """msrest's view of a response whose body has been read.

    Its ``internal_response`` is a ``requests.Response`` carrying the status, headers, reason,
    URL and body, as msrest's own transport gives: msrest's ``HttpOperationError`` exposes it
    as ``error.response``, and callers read ``error.response.status_code`` and ``.headers``
    (bot/workers/dispatcher.py does).
    """

    def __init__(self, request: ClientRequest, response: aiohttp.ClientResponse, body: bytes):
        internal = requests.Response()
        internal.status_code = response.status
        internal.headers = CaseInsensitiveDict(response.headers)
        internal.reason = response.reason or ""
        internal.url = str(response.url)
        internal.encoding = response.charset or "utf-8"
        internal._content = body
        super().__init__(request, internal)
        self.status_code = internal.status_code
        self.headers = internal.headers
        self.reason = internal.reason
        self._body = body

    def body(self) -> bytes:
        return self._body


class AiohttpSender(AsyncHTTPSender):  # type: ignore[type-arg]
    """Sends msrest requests with one kept ``aiohttp.ClientSession``, retrying as msrest does."""

    def __init__(self, config: Any, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self._config = config
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxies: dict[tuple[str, str | None], tuple[URL | None, aiohttp.BasicAuth | None]]
        self._proxies = {}

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    def _client_session(self) -> aiohttp.ClientSession:
        # A session belongs to the event loop it was made on; a client used from another loop
        # (a test, a command running its own loop) gets its own.
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # Not trust_env: with it aiohttp makes two thread-pool trips on every request (the
            # environment's proxy for the URL, and ~/.netrc), ~1 ms of CPU a reply. The proxy is
            # looked up by ``_proxy_for`` instead, once per host. ~/.netrc is not read: the
            # connector takes the bot's bearer token, and aiohttp refuses a request carrying both
            # that header and netrc credentials.
            self._session = aiohttp.ClientSession(trust_env=False)
            self._loop = loop
        return self._session

    def _proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The environment's proxy for ``url`` (HTTP(S)_PROXY, NO_PROXY), as aiohttp's
        ``trust_env`` finds it, read once per scheme and host: msrest's default
        (``use_env_settings``) is to take proxies from the environment, as requests does."""
        if not self._config.proxies.use_env_settings:
            return None, None
        target = URL(url)
        key = (target.scheme, target.host)
        found = self._proxies.get(key)
        if found is None:
            try:
                found = get_env_proxy_for_url(target)
            except LookupError:
                found = (None, None)
            self._proxies[key] = found
        return found

    async def send(self, request: PipelineRequest, **kwargs: Any) -> PipelineResponse:
        http: ClientRequest = request.http_request
        if http.files:
            raise ClientRequestError("form uploads are not sent by this transport")
        policy = self._config.retry_policy
        retries_left = int(policy.retries)
        forcelist = frozenset(policy.policy.status_forcelist or ())
        errors = 0
        timeout = self._config.connection.timeout
        headers = {**self._config.headers, **http.headers}
        proxy, proxy_auth = self._proxy_for(http.url)
        while True:
            try:
                async with self._client_session().request(
                    http.method,
                    http.url,
                    data=http.data,
                    headers=headers,
                    proxy=proxy,
                    proxy_auth=proxy_auth,
                    allow_redirects=bool(self._config.redirect_policy.allow),
                    max_redirects=int(self._config.redirect_policy.max_redirects),
                    # requests' timeout: to connect, and between bytes of the answer.
                    timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=timeout, sock_read=timeout
                    ),
                ) as response:
                    body = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                # A connection never made is retried for every method; once the request may
                # have reached the server, only for methods that are safe to repeat.
                unsent = isinstance(
                    exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
                )
                if retries_left > 0 and (unsent or http.method.upper() in IDEMPOTENT_METHODS):
                    retries_left -= 1
                    errors += 1
                    await self._sleep(_backoff(policy.backoff_factor, errors))
                    continue
                raise ClientRequestError(f"Error occurred in request., {type(exc).__name__}") \
                    from exc  # fmt: skip
            if response.status in forcelist and http.method.upper() in IDEMPOTENT_METHODS:
                if retries_left <= 0:
                    raise ClientRequestError(
                        f"Error occurred in request., too many {response.status} responses"
                    )
                retries_left -= 1
                errors += 1
                await self._sleep(_retry_after(response) or _backoff(policy.backoff_factor, errors))
                continue
            return PipelineResponse(request, _AiohttpResponse(http, response, body))


def _backoff(factor: float, errors: int) -> float:
    """urllib3's backoff: none before the first retry, then factor x 2^(n-1)."""
    if errors <= 1:
        return 0.0
    return float(min(Retry.DEFAULT_BACKOFF_MAX, factor * (2 ** (errors - 1))))


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    """Seconds a 413/429/503 asks to wait, which urllib3 honours instead of the backoff.

    Read by urllib3's own parser (whole seconds or an HTTP date); a header it cannot read
    fails the request there, so it does here too.
    """
    value = response.headers.get("Retry-After")
    if response.status not in Retry.RETRY_AFTER_STATUS_CODES or not value:
        return None
    try:
        return max(0.0, Retry().parse_retry_after(value))
    except Exception as exc:
        raise ClientRequestError("Error occurred in request., unreadable Retry-After") from exc


async def use_aiohttp_transport(client: object) -> bool:
    """Give a kept msrest client the aiohttp pipeline (see 7); False, leaving it as it is,
    for anything this transport would not send the same way."""
    config = getattr(client, "config", None)
    pipeline = getattr(config, "pipeline", None)
    if config is None or not isinstance(pipeline, AsyncPipeline):
        return False
    credentials = config.credentials
    if credentials is not None and not isinstance(credentials, AppCredentials):
        return False
    connection = config.connection
    if config.proxies() or connection.verify is not True or connection.cert or config.hooks:
        return False
    policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
    if credentials is not None:
        policies.insert(1, SignedHeaderPolicy(credentials))
    config.pipeline = AsyncPipeline(policies, AiohttpSender(config))
    await pipeline.__aexit__(None, None, None)  # the requests session it had
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
        use_model_body_serializer(client)
        await use_aiohttp_transport(client)
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
            body = parse_json(await request.text())
        except (ValueError, UnicodeDecodeError, LookupError, RecursionError):
            # LookupError: an unknown charset in the Content-Type; RecursionError: nesting
            # deeper than Python's stack (the stock adapter answered both with 500).
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


#: Characters no store and no reply can carry: a lone surrogate (JSON can escape one, UTF-8
#: cannot encode it: SQLite, PostgreSQL and the connector all refuse it) and NUL (PostgreSQL
#: refuses it in text and JSON). Both can only arrive escaped (a raw control character is not
#: valid JSON, a raw surrogate not valid UTF-8), so a body is walked only when its text has such
#: an escape (a valid surrogate pair matches too, and is left as it is).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_json(text: str) -> Any:
    """The JSON in a request body, with every NUL and lone surrogate in its strings (keys too)
    replaced by U+FFFD, as a UTF-8 decoder replaces what it cannot read. ``Infinity`` and
    ``NaN`` are refused (ValueError): they are not JSON, and no client of ours sends them."""
    body = json.loads(text, parse_constant=_not_json)
    return _storable(body) if _UNSTORABLE_ESCAPE.search(text) else body


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def parse_activity(body: Any) -> tuple[Activity | None, str]:
    """The activity in a request body, or None and what is wrong with it (for a 400)."""
    if not isinstance(body, dict):
        return None, "The body must be a JSON object (an activity)."
    try:
        activity = read_activity(body)  # Activity().deserialize(body), faster (item 8)
    except Exception:  # msrest raises assorted types for assorted bad input
        return None, "The body is not a valid activity."
    # Checked on the JSON itself: msrest turns a number or an object in a string field into
    # its str() ("{'a': 1}"), and these five route the turn and its reply (the activity id is
    # in the reply's URL).
    conversation = body.get("conversation")
    if body.get("id") is not None and not isinstance(body["id"], str):
        return None, "The activity id must be a string."
    if not _text(body.get("type")):
        return None, "The activity has no type."
    service_url = body.get("serviceUrl")
    if not _text(service_url) or not service_url.startswith(("https://", "http://")):
        # Without it the reply would go to botbuilder's default, api.botframework.com.
        return None, "The activity has no serviceUrl."
    if not isinstance(conversation, dict) or not _text(conversation.get("id")):
        return None, "The activity has no conversation id."
    if not _text(body.get("channelId")):
        # Conversation state is keyed by channel and conversation: botbuilder raises without.
        return None, "The activity has no channelId."
    return activity, ""


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


#: ``serializer_helper``'s walk (``Serializer(DEPENDICIES_DICT)._serialize``), compiled (item 8).
_INVOKE_BODY_WRITER = ModelWriter(SERIALIZER_HELPER_MODELS)


def serialise_invoke_body(body: Any) -> Any:
    """An invoke response body as JSON data: a msrest model is serialised, anything already
    plain (``ActivityHandler`` serialises its own bodies) is passed through unchanged."""
    if isinstance(body, Model):
        try:
            return _INVOKE_BODY_WRITER.write(body)  # serializer_helper's result, sooner
        except Exception:  # Unsure, or any surprise: msrest decides
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
