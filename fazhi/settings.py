"""Where things live and the few numbers an office may change; read at call time, never at import."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
STREAMLIT_CONFIG = PROJECT_DIR / ".streamlit" / "config.toml"


def db_path() -> Path:
    """The DuckDB file: $FAZHI_DB, else data/fazhi.duckdb."""
    return Path(os.environ.get("FAZHI_DB") or DATA_DIR / "fazhi.duckdb").expanduser().resolve()


# Debian's PostgreSQL on this machine, through its socket: where the load test's --processes makes its database
LOCAL_POSTGRES = "postgresql:///postgres?host=/var/run/postgresql"


def database_url() -> str:
    """The database the app opens: $FAZHI_DATABASE_URL (postgresql://…, several app processes may share it)
    if set, else the DuckDB file db_path(). Files (attachments, backups, templates) stay beside db_path()."""
    return os.environ.get("FAZHI_DATABASE_URL", "").strip() or str(db_path())


def attachments_dir(database: Path | None = None) -> Path:
    """Evidence files beside the database: <folder>/attachments/<sha256[:2]>/<sha256> (data/attachments/)."""
    return (database or db_path()).parent / "attachments"


def backups_dir(database: Path | None = None) -> Path:
    """Automatic daily backups beside the database (data/backups/)."""
    return (database or db_path()).parent / "backups"


def templates_dir(database: Path | None = None) -> Path:
    """Custom report templates uploaded per unit, beside the database (data/templates/)."""
    return (database or db_path()).parent / "templates"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = default
    return value if value > 0 else default


def idle_timeout_minutes() -> float:
    """Minutes without activity before a browser session is logged out ($FAZHI_IDLE_MINUTES, 480)."""
    return _env_number("FAZHI_IDLE_MINUTES", 8 * 60)


def session_days() -> float:
    """Days a login lasts at most, however active ($FAZHI_SESSION_DAYS, 7); the idle timeout ends it sooner."""
    return _env_number("FAZHI_SESSION_DAYS", 7)


def backup_keep_days() -> int:
    """Days an automatic daily backup is kept ($FAZHI_BACKUP_KEEP_DAYS, 30)."""
    return int(_env_number("FAZHI_BACKUP_KEEP_DAYS", 30))


def max_upload_mb() -> int:
    """Upload limit per file in MB: Streamlit's server.maxUploadSize, so both always agree (10)."""
    try:
        with STREAMLIT_CONFIG.open("rb") as handle:
            return int(tomllib.load(handle).get("server", {}).get("maxUploadSize", 10))
    except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError):
        return 10


def worker_enabled() -> bool:
    """Whether the web server runs its heavy steps (report charts and templates, reading imported files,
    writing evidence zips) in a worker process (default on; FAZHI_WORKER=0, or the older FAZHI_REPORT_WORKER=0, keeps them in the app
    process, e.g. on a machine short of memory)."""
    value = os.environ.get("FAZHI_WORKER") or os.environ.get("FAZHI_REPORT_WORKER", "")
    return value.strip().lower() not in {"0", "off", "false", "no"}


def auto_backup_enabled() -> bool:
    """Whether the app makes its daily backup ($FAZHI_AUTO_BACKUP; on unless 0/off/false/no)."""
    return os.environ.get("FAZHI_AUTO_BACKUP", "").strip().lower() not in {"0", "off", "false", "no"}
