"""The chat-history schema that Chainlit 2.12's SQLAlchemy data layer writes, created and upgraded.

Chainlit creates no tables, and the DDL in its documentation is stale (steps lack
``defaultOpen``, ``autoCollapse``, ``modes``; elements lack ``props``, ``autoPlay``,
``playerConfig``). :func:`ensure_schema` creates missing tables and adds missing columns, on
SQLite (TEXT for ids and JSON) and PostgreSQL (UUID, JSONB, TEXT[]). It never drops anything.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

# table -> [(column, kind)]; kinds are mapped per dialect by _sql_type
TABLES: dict[str, list[tuple[str, str]]] = {
    "users": [("id", "id"), ("identifier", "text"), ("metadata", "json"),
              ("createdAt", "text")],
    "threads": [("id", "id"), ("createdAt", "text"), ("name", "text"), ("userId", "id"),
                ("userIdentifier", "text"), ("tags", "tags"), ("metadata", "json")],
    "steps": [("id", "id"), ("name", "text"), ("type", "text"), ("threadId", "id"),
              ("parentId", "id"), ("streaming", "bool"), ("waitForAnswer", "bool"),
              ("isError", "bool"), ("metadata", "json"), ("tags", "tags"), ("input", "text"),
              ("output", "text"), ("createdAt", "text"), ("command", "text"),
              ("start", "text"), ("end", "text"), ("generation", "json"),
              ("showInput", "text"), ("language", "text"), ("indent", "int"),
              ("defaultOpen", "bool"), ("autoCollapse", "bool"), ("modes", "json"),
              ("icon", "text")],
    "elements": [("id", "id"), ("threadId", "id"), ("type", "text"), ("url", "text"),
                 ("chainlitKey", "text"), ("name", "text"), ("display", "text"),
                 ("objectKey", "text"), ("size", "text"), ("page", "int"),
                 ("language", "text"), ("forId", "id"), ("mime", "text"), ("props", "json"),
                 ("autoPlay", "bool"), ("playerConfig", "json")],
    "feedbacks": [("id", "id"), ("forId", "id"), ("threadId", "id"), ("value", "int"),
                  ("comment", "text")],
}
_NOT_NULL = {("users", "identifier"), ("users", "metadata"), ("steps", "name"),
             ("steps", "type"), ("steps", "threadId"), ("elements", "name"),
             ("feedbacks", "forId"), ("feedbacks", "value")}
_UNIQUE = {("users", "identifier")}
_INDEXES = [("steps", "threadId"), ("elements", "threadId"), ("elements", "forId"),
            ("feedbacks", "forId"), ("feedbacks", "threadId"), ("threads", "userId"),
            ("threads", "createdAt")]
_FOREIGN = {("threads", "userId"): "users", ("steps", "threadId"): "threads",
            ("elements", "threadId"): "threads", ("feedbacks", "threadId"): "threads"}


def _sql_type(kind: str, dialect: str) -> str:
    pg = dialect == "postgresql"
    return {"id": "UUID" if pg else "TEXT", "text": "TEXT", "json": "JSONB" if pg else "TEXT",
            "tags": "TEXT[]" if pg else "TEXT", "bool": "BOOLEAN", "int": "INT"}[kind]


def _column_sql(table: str, column: str, kind: str, dialect: str, new_table: bool) -> str:
    sql = f'"{column}" {_sql_type(kind, dialect)}'
    if column == "id":
        return sql + " PRIMARY KEY"
    if new_table and (table, column) in _NOT_NULL:
        sql += " NOT NULL"
    if new_table and (table, column) in _UNIQUE:
        sql += " UNIQUE"
    return sql


def create_table_sql(table: str, dialect: str) -> str:
    cols = [_column_sql(table, c, k, dialect, True) for c, k in TABLES[table]]
    for (tab, col), parent in _FOREIGN.items():
        if tab == table:
            cols.append(f'FOREIGN KEY ("{col}") REFERENCES {parent}("id") ON DELETE CASCADE')
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  " + ",\n  ".join(cols) + "\n)"


def _existing_columns(sync_conn: sa.Connection) -> dict[str, set[str]]:
    insp = sa.inspect(sync_conn)
    names = set(insp.get_table_names())
    return {t: {c["name"] for c in insp.get_columns(t)} for t in TABLES if t in names}


async def _upgrade(conn: AsyncConnection) -> list[str]:
    dialect = conn.dialect.name
    existing = await conn.run_sync(_existing_columns)
    done = []
    for table, columns in TABLES.items():
        if table not in existing:
            await conn.execute(sa.text(create_table_sql(table, dialect)))
            done.append(f"created {table}")
            continue
        for column, kind in columns:
            if column not in existing[table]:
                col_sql = _column_sql(table, column, kind, dialect, False)
                await conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {col_sql}"))
                done.append(f"added {table}.{column}")
    for table, column in _INDEXES:
        await conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS ix_{table}_{column.lower()} '
                                   f'ON {table} ("{column}")'))
    return done


async def ensure_schema(url: str) -> list[str]:
    """Create or upgrade the chat tables at ``url``; returns what changed (for the log)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return await _upgrade(conn)
    finally:
        await engine.dispose()
