"""The inspector's settings file, read once at start.

Where: `$SAFECITY_CONFIG`, else `$XDG_CONFIG_HOME/safecity/config.toml` (by default
`~/.config/safecity/config.toml`). Every setting is optional:

    language = "zh"          # "en" or "zh"
    sync_interval = 60       # seconds between background syncs (0: only on demand)

    [keymap]                 # binding id = key(s), e.g. to use arrows only
    "triage.down" = "down"

    [photos]
    inbox = "~/Pictures/inbox"   # where phone pictures are copied; the attach screen offers the newest
    max_edge = 2560              # longest side of a stored photo, in pixels (larger ones are downscaled)
    keep_originals = false       # keep the original of a downscaled photo on this laptop
    fetch = "thumbnails"         # or "full": fetch every full photo as it syncs (else on demand)

A file that cannot be read, an unknown setting, or a keymap naming a binding that does not
exist is a clear error at start (`ConfigError`), never a silent default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from schema.attachments import AttachSettings
from schema.errors import DomainError


class ConfigError(DomainError):
    """The settings file is wrong; the message says where and how."""


@dataclass(frozen=True)
class Settings:
    language: str = "en"
    """Label language: "en" or "zh"."""
    sync_interval: float = 60.0
    """Seconds between background syncs on an enrolled laptop; 0 syncs only on demand."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> key(s), overriding the defaults (see `?` for the ids of a screen)."""
    photos: Photos = field(default_factory=lambda: Photos())


@dataclass(frozen=True)
class Photos:
    """The `[photos]` section: where pictures come from and how they are kept."""

    inbox: Path | None = None
    max_edge: int = 2560
    keep_originals: bool = False
    fetch_full: bool = False

    def attach_settings(self) -> AttachSettings:
        return AttachSettings(max_edge=self.max_edge, keep_originals=self.keep_originals)


def config_path() -> Path:
    if os.environ.get("SAFECITY_CONFIG"):
        return Path(os.environ["SAFECITY_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "safecity" / "config.toml"


def load(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read settings {path}: {err}") from None
    unknown = sorted(set(data) - {"language", "sync_interval", "keymap", "photos"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {', '.join(unknown)} (known: language, sync_interval, keymap, photos)"
        )
    language = data.get("language", "en")
    if language not in ("en", "zh"):
        raise ConfigError(f'{path}: language must be "en" or "zh"; got {language!r}')
    interval = data.get("sync_interval", 60)
    if not isinstance(interval, (int, float)) or interval < 0:
        raise ConfigError(f"{path}: sync_interval must be a number of seconds, 0 or more")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{path}: [keymap] maps binding ids to key strings")
    return Settings(
        language=language,
        sync_interval=float(interval),
        keymap=dict(keymap),
        photos=_photos(path, data.get("photos", {})),
    )


def _photos(path: Path, section: object) -> Photos:
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [photos] is a section of settings")
    unknown = sorted(set(section) - {"inbox", "max_edge", "keep_originals", "fetch"})
    if unknown:
        raise ConfigError(
            f"{path}: [photos] has no setting {', '.join(unknown)} (known: inbox, max_edge, keep_originals, fetch)"
        )
    inbox = section.get("inbox")
    if inbox is not None and not isinstance(inbox, str):
        raise ConfigError(f"{path}: [photos] inbox is a folder's path, in quotes")
    edge = section.get("max_edge", 2560)
    if not isinstance(edge, int) or isinstance(edge, bool) or not 320 <= edge <= 16384:
        raise ConfigError(f"{path}: [photos] max_edge is a number of pixels from 320 to 16384")
    keep = section.get("keep_originals", False)
    if not isinstance(keep, bool):
        raise ConfigError(f"{path}: [photos] keep_originals is true or false")
    fetch = section.get("fetch", "thumbnails")
    if fetch not in ("thumbnails", "full"):
        raise ConfigError(f'{path}: [photos] fetch is "thumbnails" or "full"; got {fetch!r}')
    return Photos(
        inbox=Path(inbox).expanduser() if inbox else None,
        max_edge=edge,
        keep_originals=keep,
        fetch_full=fetch == "full",
    )


def save_language(language: str, path: Path | None = None) -> Path:
    """Write `language` into the settings file (creating it), keeping every other line as it is:
    the app's language switch lasts beyond this session."""
    path = path or config_path()
    lines = path.read_text().splitlines() if path.exists() else []
    setting = f'language = "{language}"'
    for n, line in enumerate(lines):
        if line.split("=", 1)[0].strip() == "language":
            lines[n] = setting
            break
    else:
        lines.insert(0, setting)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def check_keymap(keymap: dict[str, str], known: set[str], path: Path | None = None) -> None:
    unknown = sorted(set(keymap) - known)
    if unknown:
        raise ConfigError(
            f"{path or config_path()}: [keymap] names no binding {', '.join(unknown)}; "
            f"known ids: {', '.join(sorted(known))}"
        )
