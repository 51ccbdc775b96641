"""Which WeChat channels run, from the settings: WeCom when MASSLINE_WECOM_CORP_ID is set,
the Official Account when MASSLINE_WECHAT_APP_ID is set. A channel half set up stops the
service with the names of the variables that are missing or wrong."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from config.i18n import Catalog
from config.settings import Settings
from handlers.dispatcher import Dispatcher

from .base import ChannelConfigError
from .wechat import WeChatChannel, WeChatConfig
from .wecom import WeComChannel, WeComConfig
from .wx_base import WxChannel
from .wx_crypto import CryptoError, aes_key


def wechat_channels(
    settings: Settings, dispatcher: Dispatcher, catalog: Catalog
) -> list[WxChannel]:
    channels: list[WxChannel] = []
    wecom = wecom_config(settings)
    if wecom is not None:
        channels.append(WeComChannel(wecom, dispatcher, catalog, language=settings.language))
    wechat = wechat_config(settings)
    if wechat is not None:
        channels.append(WeChatChannel(wechat, dispatcher, catalog, language=settings.language))
    return channels


def wecom_config(settings: Settings) -> WeComConfig | None:
    values = {
        "CORP_ID": settings.wecom_corp_id,
        "AGENT_ID": settings.wecom_agent_id,
        "SECRET": _secret(settings.wecom_secret),
        "TOKEN": _secret(settings.wecom_token),
        "AES_KEY": _secret(settings.wecom_aes_key),
    }
    if not any(values.values()):
        return None
    _require("WECOM", values)
    agent = str(values["AGENT_ID"])
    if not agent.isdigit():
        raise ChannelConfigError("MASSLINE_WECOM_AGENT_ID is the app's AgentId, a number")
    _check_key("MASSLINE_WECOM_AES_KEY", str(values["AES_KEY"]))
    return WeComConfig(
        corp_id=str(values["CORP_ID"]),
        agent_id=int(agent),
        secret=str(values["SECRET"]),
        token=str(values["TOKEN"]),
        aes_key=str(values["AES_KEY"]),
        api_url=settings.wecom_api_url,
    )


def wechat_config(settings: Settings) -> WeChatConfig | None:
    values = {
        "APP_ID": settings.wechat_app_id,
        "APP_SECRET": _secret(settings.wechat_app_secret),
        "TOKEN": _secret(settings.wechat_token),
    }
    key = _secret(settings.wechat_aes_key)
    if not any(values.values()) and not key:
        return None
    _require("WECHAT", values)
    if key:
        _check_key("MASSLINE_WECHAT_AES_KEY", key)
    return WeChatConfig(
        app_id=str(values["APP_ID"]),
        app_secret=str(values["APP_SECRET"]),
        token=str(values["TOKEN"]),
        aes_key=key,
        api_url=settings.wechat_api_url,
        templates=dict(settings.wechat_templates),
    )


def _secret(value: SecretStr | None) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def _require(prefix: str, values: Mapping[str, str | None]) -> None:
    missing = [f"MASSLINE_{prefix}_{name}" for name, value in values.items() if not value]
    if missing:
        raise ChannelConfigError(f"{prefix.lower()} is half set up: set {', '.join(missing)}")


def _check_key(variable: str, value: str) -> None:
    try:
        aes_key(value)
    except CryptoError as exc:
        raise ChannelConfigError(f"{variable}: {exc} (copy the EncodingAESKey as shown)") from None
