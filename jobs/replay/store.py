"""The result tables a replay replaces rows in: which table each output's sink writes (from
connectors/), and the rows of a range in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from connectors import connect
from infra.config import StackConfig
from jobs.replay.plan import Range
from jobs.runtime import ResultSpec

Key = tuple[Any, ...]  # (camera_id, window_start, window_end)
Rows = dict[Key, tuple[Any, ...]]  # key -> the whole row


@dataclass(frozen=True)
class Target:
    """One output: its topic, and the sink that lands it in a table."""

    output: str
    topic: str
    connector: str
    table: str  # schema.table

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(*self.table.split("."))


def targets(cfg: StackConfig, results: list[ResultSpec]) -> list[Target]:
    """Each output's table and sink, as the sinks' configs name them."""
    sinks = {
        c["config"]["topics"]: (c["name"], c["config"]["collection.name.format"])
        for c in connect.render(connect.stack_settings(cfg))
        if "topics" in c["config"]
    }
    return [Target(r.name, r.output_topic, *sinks[r.output_topic]) for r in results]


def _where(rng: Range) -> tuple[sql.Composed, list[Any]]:
    """The rows of the windows wholly inside the range (of its cameras and site)."""
    parts = [sql.SQL("window_start >= %s"), sql.SQL("window_end <= %s")]
    params: list[Any] = [rng.start, rng.end]
    if rng.cameras:
        parts.append(sql.SQL("camera_id = ANY(%s)"))
        params.append(list(rng.cameras))
    if rng.site:
        parts.append(sql.SQL("site_id = %s"))
        params.append(rng.site)
    return sql.SQL(" AND ").join(parts), params


def rows_in(conn: psycopg.Connection, target: Target, rng: Range) -> Rows:
    where, params = _where(rng)
    query = sql.SQL("SELECT * FROM {} WHERE {}").format(target.identifier, where)
    cur = conn.execute(query, params)
    names = [c.name for c in cur.description or []]
    key = [names.index(k) for k in ("camera_id", "window_start", "window_end")]
    return {tuple(row[i] for i in key): tuple(row) for row in cur.fetchall()}


def delete_in(conn: psycopg.Connection, target: Target, rng: Range) -> int:
    where, params = _where(rng)
    cur = conn.execute(sql.SQL("DELETE FROM {} WHERE {}").format(target.identifier, where), params)
    return cur.rowcount


def table_sizes(conn: psycopg.Connection, tables: list[Target]) -> list[tuple[str, int, Any]]:
    """(table, rows, oldest window_start) of each table."""
    out = []
    for t in tables:
        query = sql.SQL("SELECT count(*), min(window_start) FROM {}").format(t.identifier)
        count, oldest = conn.execute(query).fetchone() or (0, None)
        out.append((t.table, count, oldest))
    return out


def truncate(conn: psycopg.Connection, tables: list[Target]) -> None:
    names = sql.SQL(", ").join(t.identifier for t in tables)
    conn.execute(sql.SQL("TRUNCATE {}").format(names))
