"""Settings from the environment or `.env`, with the Bot Framework's own names."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.defaults import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "app_id"))
    app_password: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppPassword", "app_password")
    )
    app_type: str = Field(
        "MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "app_type")
    )
    app_tenant_id: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppTenantId", "app_tenant_id")
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    # Path to the authority's rules file; empty means the West Berkshire default.
    rules_path: str = Field("", validation_alias=AliasChoices("IRO_RULES", "rules_path"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    # "text" (the local default) or "json": one object a line with its correlation id, for a
    # log store (Azure Monitor, Loki) to index.
    log_format: str = Field("text", validation_alias=AliasChoices("LOG_FORMAT", "log_format"))
    # A dialog left waiting this long is closed (nothing of it saved) and the next message says
    # so: an answer typed days later is more likely meant for something else.
    dialog_idle_hours: float = Field(
        24.0, gt=0, validation_alias=AliasChoices("IRO_DIALOG_IDLE_HOURS", "dialog_idle_hours")
    )
