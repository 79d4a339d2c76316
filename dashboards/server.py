"""The local Superset: its venv, one-time bootstrap, a background web server, stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from dashboards import settings
from dashboards.bundle import dashboard_password, import_bundle
from infra.config import StackConfig
from infra.proc import StackError, check_ports_free, read_pid, spawn, stop_pid, wait_until

# The same pins as the Makefile's .venv-superset target (flask-caching 2.5 breaks 6.1.0).
SUPERSET_PINS = (
    "apache-superset==6.1.0",
    "flask-caching==2.3.1",
    "rich",
    "cachetools",
    "psycopg2-binary>=2.9",
)
DEFAULT_PORT = 8088


def ensure_venv(echo=print) -> Path:
    """Reuse .venv-superset when Superset is installed there, else create it."""
    marker = settings.SUPERSET_VENV / ".installed"
    if settings.venv_bin("superset").is_file() and settings.venv_bin("python").is_file():
        return settings.SUPERSET_VENV
    echo(f"creating {settings.SUPERSET_VENV} (Superset 6.1.0, takes a few minutes)")
    python = shutil.which("python3.11") or sys.executable
    subprocess.run([python, "-m", "venv", str(settings.SUPERSET_VENV)], check=True)
    pip = [str(settings.venv_bin("pip")), "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *SUPERSET_PINS], check=True)
    marker.touch()
    return settings.SUPERSET_VENV


def superset_cli(cfg: StackConfig, *args: str, log: Path | None = None) -> None:
    """Run `superset ARGS` with our config; its output goes to the bootstrap log."""
    log = log or settings.superset_dir(cfg) / "bootstrap.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        rc = subprocess.run(
            [str(settings.venv_bin("superset")), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **settings.superset_env(cfg)},
            check=False,
        ).returncode
    if rc != 0:
        from infra.proc import log_tail

        raise StackError(f"`superset {args[0]}` failed ({rc}). Its log is {log}:\n{log_tail(log)}")


def bootstrap(cfg: StackConfig, echo=print) -> None:
    """Venv, config, metadata DB, admin user, roles and permissions, then the bundle."""
    # Check every secret before anything runs.
    settings.check_secret_key(os.environ.get(settings.SECRET_KEY_ENV))
    user, password = settings.admin_credentials()
    dashboard_password()
    ensure_venv(echo)
    path = settings.write_config(cfg)
    echo(f"wrote {path}")
    superset_cli(cfg, "db", "upgrade")
    echo("metadata database upgraded")
    superset_cli(
        cfg,
        "fab",
        "create-admin",
        "--username",
        user,
        "--firstname",
        "Ivica",
        "--lastname",
        "Admin",
        "--email",
        f"{user}@ivica.invalid",
        "--password",
        password,
    )
    superset_cli(cfg, "init")
    echo(f"admin `{user}` ready, roles initialised")
    import_bundle(cfg, echo=echo)


def _paths(cfg: StackConfig) -> tuple[Path, Path]:
    d = settings.superset_dir(cfg)
    return d / "superset.pid", d / "superset.log"


def url(cfg: StackConfig, port: int = DEFAULT_PORT) -> str:
    return f"http://{cfg.host}:{port}"


def healthy(cfg: StackConfig, port: int = DEFAULT_PORT) -> bool:
    try:
        with urllib.request.urlopen(f"{url(cfg, port)}/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"OK"
    except (urllib.error.URLError, OSError):
        return False


def serve_command(cfg: StackConfig, port: int) -> list[str]:
    gunicorn = settings.venv_bin("gunicorn")
    if gunicorn.is_file():
        return [
            str(gunicorn),
            "--bind",
            f"{cfg.host}:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "superset.app:create_app()",
        ]
    return [
        str(settings.venv_bin("superset")),
        "run",
        "-h",
        cfg.host,
        "-p",
        str(port),
        "--with-threads",
    ]


def serve(cfg: StackConfig, port: int = DEFAULT_PORT, echo=print) -> str:
    """Start the web server in the background (pid file and log under the state dir)."""
    pidfile, log = _paths(cfg)
    settings.check_secret_key(os.environ.get(settings.SECRET_KEY_ENV))
    if not settings.config_path(cfg).is_file():
        raise StackError("Superset is not bootstrapped: run `ivica superset bootstrap` first")
    settings.write_config(cfg)
    running = read_pid(pidfile)
    if running is None:
        check_ports_free("superset", cfg.host, [port])
        spawn(serve_command(cfg, port), log, pidfile, settings.superset_env(cfg))
    wait_until(
        lambda: healthy(cfg, port),
        what="superset",
        timeout_s=cfg.timeouts.start_s,
        log=log,
        alive=lambda: read_pid(pidfile) is not None,
    )
    echo(f"superset at {url(cfg, port)} (log {log})")
    return url(cfg, port)


def stop(cfg: StackConfig, echo=print) -> None:
    pidfile, _ = _paths(cfg)
    pid = read_pid(pidfile)
    if pid is not None:
        stop_pid(pid, cfg.timeouts.stop_s)
        if read_pid(pidfile) is not None:
            raise StackError(f"superset (pid {pid}) did not stop")
        echo("superset stopped")
    pidfile.unlink(missing_ok=True)
