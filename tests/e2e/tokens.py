"""Bot Framework channel tokens for tests, signed with a throw-away RSA key, and botbuilder's
signing-key cache loaded with that key so validation runs its production code path offline.

botbuilder validates a Teams request's ``Authorization: Bearer <JWT>`` against the keys listed
at ``AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL``, which it fetches with
``requests.get`` and caches in ``JwtTokenExtractor.metadataCache`` for a day. ``SigningKeys``
puts a fresh entry in that cache (restored after the test by ``monkeypatch``), so no request
leaves the machine; ``forbid_key_fetches`` makes any attempt fail the test loudly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticationConstants, jwt_token_extractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
CHANNEL_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SigningKeys:
    """The Bot Framework's signing keys, as botbuilder will believe them to be."""

    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "iro-test-key-1"
    endorsements: tuple[str, ...] = ("msteams",)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, endorsements=list(self.endorsements))
        metadata = jwt_token_extractor._OpenIdMetadata(CHANNEL_METADATA_URL)
        metadata.keys = [jwk]
        metadata.last_updated = datetime.now()  # fresh: no refresh for a day
        monkeypatch.setitem(jwt_token_extractor.JwtTokenExtractor.metadataCache,
                            CHANNEL_METADATA_URL, metadata)  # fmt: skip

    def channel_token(
        self,
        *,
        app_id: str,
        service_url: str,
        issuer: str = CHANNEL_ISSUER,
        expires_in: int = 3600,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        """``Bearer <JWT>`` as the Bot Connector sends it to a bot."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
            **claims,
        }
        token = jwt.encode(payload, key or self.key, algorithm="RS256",
                           headers={"kid": kid or self.kid})  # fmt: skip
        return f"Bearer {token}"


class KeyFetchAttempted(AssertionError):
    pass


class _NoNetworkRequests:
    """Stands in for the ``requests`` module inside botbuilder's jwt_token_extractor."""

    RequestException = Exception

    def __init__(self) -> None:
        self.urls: list[str] = []

    def get(self, url: str, *args: Any, **kwargs: Any) -> Any:
        self.urls.append(url)
        raise KeyFetchAttempted(f"botbuilder tried to fetch signing keys from {url}")


def forbid_key_fetches(monkeypatch: pytest.MonkeyPatch) -> _NoNetworkRequests:
    """Make botbuilder's signing-key fetch fail (and record it) instead of using the network."""
    fake = _NoNetworkRequests()
    monkeypatch.setattr(jwt_token_extractor, "requests", fake)
    return fake
