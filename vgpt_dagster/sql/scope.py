"""Walk parsed statements: statement kind, table references, scopes (sources by alias) and column uses.

A *source* is anything a query reads rows from: a catalog table or view, a CTE, a temp table (``#t``),
a table variable (``@t``), a derived table, an APPLY or a table-valued function. CTE names and temp
tables are never catalog objects. A *scope* is one SELECT/UPDATE/DELETE with its sources; correlated
subqueries see their parents' sources.

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> from vgpt_dagster.sql.lookup import catalog_memo
    >>> from vgpt_dagster.sql.parse import parse_statements
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> stmts, _ = parse_statements("WITH c AS (SELECT 1 a) SELECT * FROM dbo.[APTH] h WITH (NOLOCK), c, #t")
    >>> info = walk_statement(stmts[0], "", catalog_memo(cat))
    >>> [(s.name, s.kind, s.alias, s.nolock) for s in info.refs]
    [('APTH', 'catalog', 'h', True), ('c', 'cte', None, False), ('#t', 'temp', None, False)]
"""

from dataclasses import dataclass, field

from sqlglot import exp

from vgpt_dagster.catalog.model import CatalogObject
from vgpt_dagster.sql.lookup import CatalogMemo
from vgpt_dagster.sql.procedural import Module
from vgpt_dagster.sql.split import position
from vgpt_dagster.sql.statements import Statement, statement_kind

_NOLOCK_HINTS = frozenset({"NOLOCK", "READUNCOMMITTED"})
_SYSTEM_SCHEMAS = frozenset({"sys", "information_schema"})
_SYSTEM_DATABASES = frozenset({"master", "msdb", "tempdb", "model"})
# SQL Server's compatibility catalog views (``sysobjects`` ...): not Vista objects, in any schema.
SYSTEM_VIEWS = frozenset(
    {
        "sysobjects", "syscolumns", "systypes", "sysindexes", "sysindexkeys", "sysusers", "syscomments",
        "sysdepends", "sysforeignkeys", "sysreferences", "sysconstraints", "sysprotects", "syspermissions",
        "sysfilegroups", "sysfiles", "sysmembers", "sysdatabases", "syslogins", "sysprocesses", "syslanguages",
        "sysservers", "sysaltfiles", "syscacheobjects", "syscharsets", "sysconfigures", "syscurconfigs",
        "sysdevices", "syslockinfo", "sysmessages", "sysperfinfo", "sysremotelogins", "sysoledbusers",
        "sysfulltextcatalogs", "sysjobs", "sysjobhistory", "sysjobsteps", "sysschedules", "sysjobschedules",
        "syscursors", "sysxlogins", "sysopentapes", "sysproperties",
    }
)  # fmt: skip
PSEUDO_TABLES = frozenset({"inserted", "deleted"})  # a trigger's rows before/after the change
_WRITE_TYPES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Drop, exp.TruncateTable, exp.Create, exp.Alter)
# Row sources that cannot be checked against the catalog (their columns are unknown to us).
OPAQUE_KINDS = frozenset({"temp", "table_variable", "function", "system", "unknown", "created", "pseudo", "external"})


@dataclass(eq=False)
class Source:
    """One table reference or derived source. ``outputs``: lower-case column names when known."""

    name: str
    alias: str | None
    kind: str  # catalog, cte, temp, table_variable, derived, function, system, pseudo, created, external, unknown
    obj: CatalogObject | None
    nolock: bool
    write: bool
    line: int | None
    col: int | None
    node: exp.Expression
    outputs: frozenset[str] | None = None

    @property
    def key(self) -> str:
        return (self.alias or self.name).lower()


@dataclass(eq=False)
class Scope:
    """A SELECT/UPDATE/DELETE and the sources it reads, by alias (lower case)."""

    node: exp.Expression
    parent: "Scope | None"
    sources: list[Source] = field(default_factory=list)
    by_key: dict[str, Source] = field(default_factory=dict)
    output_aliases: frozenset[str] = frozenset()

    def find(self, key: str) -> Source | None:
        scope: Scope | None = self
        while scope is not None:
            src = scope.by_key.get(key)
            if src is not None:
                return src
            scope = scope.parent
        return None


@dataclass(eq=False)
class ColumnUse:
    """A column reference (``qualifier`` is the alias or table written before the dot) and its scope."""

    node: exp.Column
    name: str
    qualifier: str | None
    scope: Scope
    line: int | None
    col: int | None


@dataclass(eq=False)
class StatementInfo:
    """Everything the rules need about one statement."""

    node: exp.Expression
    kind: str
    line: int
    col: int
    refs: list[Source]
    scopes: list[Scope]
    columns: list[ColumnUse]
    nodes: tuple[exp.Expression, ...] = ()  # every node of ``node`` in breadth-first order (see find_all)
    module: Module | None = None  # the procedure, function, trigger or view the statement belongs to
    role: str | None = None  # header, cursor, label (see parse.Statement)

    @property
    def in_module_body(self) -> bool:
        return self.module is not None and self.role != "header"

    def find_all(self, *types: type) -> list:
        """``node.find_all(*types)`` from the node list walked once (same nodes, same order)."""
        nodes = self.nodes or tuple(self.node.walk())
        return [n for n in nodes if isinstance(n, types)]


def find_all(nodes: tuple[exp.Expression, ...], *types: type) -> list:
    """The nodes of ``types`` in a breadth-first node list: what ``Expression.find_all`` yields, without
    walking the tree again (the analyzer asks about 10 such questions per statement)."""
    return [n for n in nodes if isinstance(n, types)]


def node_position(node: exp.Expression | None, sql: str) -> tuple[int | None, int | None]:
    """1-based position of an identifier-bearing node (from sqlglot's token meta), else (None, None)."""
    while node is not None and not isinstance(node, exp.Identifier):
        node = node.args.get("this") if isinstance(node.args.get("this"), exp.Expression) else None
    meta = node.meta if node is not None else None
    if not meta or "start" not in meta:
        return None, None
    if sql:
        return position(sql, meta["start"])
    return meta.get("line"), meta.get("col")


def has_nolock(table: exp.Table) -> bool:
    for hint in table.args.get("hints") or ():
        for e in hint.expressions if isinstance(hint, exp.WithTableHint) else ():
            if e.name.upper() in _NOLOCK_HINTS:
                return True
    return False


def _outputs(query: exp.Expression | None, columns: list | None = None) -> frozenset[str] | None:
    if columns:
        return frozenset(c.name.lower() for c in columns)
    while isinstance(query, exp.SetOperation):
        query = query.this
    if not isinstance(query, exp.Select):
        return None
    names = query.named_selects
    if any(n in ("*", "") for n in names) or any(isinstance(e, exp.Star) for e in query.expressions):
        return None
    return frozenset(n.lower() for n in names)


def _target_table(node: exp.Expression | None) -> exp.Table | None:
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def is_system_object(t: exp.Table) -> bool:
    """``sys.objects``, ``INFORMATION_SCHEMA.COLUMNS``, ``sysobjects``, ``master.dbo.sysdatabases``."""
    db, name = t.text("db").lower(), t.name.lower()
    return db in _SYSTEM_SCHEMAS or name in SYSTEM_VIEWS or t.text("catalog").lower() in _SYSTEM_DATABASES


def _table_source(
    t: exp.Table,
    ctes: dict[str, exp.CTE],
    memo: CatalogMemo,
    sql: str,
    write: bool,
    created: bool = False,
    module_kind: str | None = None,
) -> Source:
    ident = t.this
    alias = t.alias or None
    line, col = node_position(t.args.get("catalog") or t.args.get("db") or ident, sql)
    db = t.text("db").lower()
    kind, obj, outputs, name = "unknown", None, None, t.name
    if isinstance(ident, exp.Parameter) or name.startswith("@"):
        kind, name = "table_variable", "@" + name.lstrip("@")
    elif isinstance(ident, exp.Identifier) and (ident.args.get("temporary") or ident.args.get("global_")):
        kind, name = "temp", ("##" if ident.args.get("global_") else "#") + name
    elif not isinstance(ident, exp.Identifier):  # dbo.vfGLEntryBatch(@co): referenced by its name
        kind, name = "function", ident.name if isinstance(ident, exp.Anonymous) else ident.sql("tsql")
    elif is_system_object(t):
        kind, name = "system", ".".join(p for p in (t.text("catalog"), t.text("db"), name) if p)
    elif module_kind == "TRIGGER" and not db and name.lower() in PSEUDO_TABLES:
        kind = "pseudo"
    elif not db and name.lower() in ctes:
        cte = ctes[name.lower()]
        kind, outputs = "cte", _outputs(cte.this, cte.args["alias"].columns if cte.args.get("alias") else None)
    elif created:
        kind = "created"  # CREATE TABLE x / SELECT INTO x: a new object, not a catalog lookup
    else:
        obj = memo.resolve(name)
        external = module_kind is not None and t.text("catalog")  # OtherDb.dbo.x in a procedure
        kind = "catalog" if obj is not None else "external" if external else "unknown"
    return Source(name, alias, kind, obj, has_nolock(t), write, line, col, t, outputs)


def _derived_source(node: exp.Expression, sql: str) -> Source:
    alias_node = node.args.get("alias")
    alias = node.alias or None
    cols = alias_node.columns if isinstance(alias_node, exp.TableAlias) else None
    inner = node.this if isinstance(node, (exp.Subquery, exp.Lateral)) else None
    if isinstance(inner, exp.Subquery):
        inner = inner.this
    kind = "derived" if isinstance(inner, exp.Query) or isinstance(node, exp.Values) else "function"
    outputs = _outputs(inner, cols) if kind == "derived" else None
    line, col = node_position(alias_node, sql)
    return Source(alias or "(derived)", alias, kind, None, False, False, line, col, node, outputs)


def _scope_source_nodes(node: exp.Expression) -> list[exp.Expression]:
    nodes: list[exp.Expression] = []
    if isinstance(node, (exp.Update, exp.Delete)) and isinstance(node.this, exp.Expression):
        nodes.append(node.this)
    frm = node.args.get("from_")
    if frm is not None:
        nodes.append(frm.this)
    for holder in (node, *[n for n in nodes if isinstance(n, (exp.Table, exp.Subquery))]):
        nodes.extend(j.this for j in holder.args.get("joins") or ())
    return nodes


def write_target_tables(node: exp.Expression) -> list[exp.Expression]:
    """The table nodes a write statement changes (for DELETE/UPDATE possibly alias references)."""
    if isinstance(node, exp.TruncateTable):
        return list(node.expressions)
    if isinstance(node, (exp.Drop, exp.Delete)) and node.args.get("tables"):
        return list(node.args["tables"])
    target = _target_table(node.this)
    return [target] if target is not None else [node.this] if isinstance(node.this, exp.Expression) else []


def _write_targets(nodes: tuple[exp.Expression, ...]) -> tuple[set[int], set[int], set[int]]:
    """ids of written tables, of tables being created, and of non-table names (DROP PROCEDURE p)."""
    writes: set[int] = set()
    created: set[int] = set()
    not_tables: set[int] = set()
    for grant in find_all(nodes, exp.Grant, exp.Revoke):  # securables of GRANT/REVOKE are not table references
        not_tables.update(id(t) for t in grant.find_all(exp.Table))
    for node in find_all(nodes, *_WRITE_TYPES, exp.Into):
        targets = [id(t) for t in write_target_tables(node) if isinstance(t, exp.Table)]
        writes.update(targets)
        kind = str(node.args.get("kind") or "TABLE").upper()
        if isinstance(node, (exp.Create, exp.Drop, exp.Alter)) and kind not in ("TABLE", "VIEW"):
            not_tables.update(targets)
        elif isinstance(node, (exp.Create, exp.Into)):
            created.update(targets)
    return writes, created, not_tables


@dataclass(eq=False)
class _Walk:
    """What building the scopes of one statement shares."""

    ctes: dict[str, exp.CTE]
    memo: CatalogMemo
    sql: str
    writes: set[int]
    skip: set[int]
    module_kind: str | None
    sources: dict[int, Source] = field(default_factory=dict)

    def table(self, t: exp.Table, created: bool = False) -> Source:
        write = id(t) in self.writes
        return _table_source(t, self.ctes, self.memo, self.sql, write, created, self.module_kind)


def _build_scope(snode: exp.Expression, parent: "Scope | None", w: _Walk) -> Scope:
    scope = Scope(snode, parent)
    if isinstance(snode, exp.Select):
        scope.output_aliases = frozenset(e.alias.lower() for e in snode.expressions if e.alias)
    src_nodes = _scope_source_nodes(snode)
    target = snode.this if isinstance(snode, (exp.Update, exp.Delete)) else None
    # UPDATE h ... FROM APTH h and UPDATE bEMBF ... FROM bEMBF: the target names a FROM source
    aliases = {
        (n.alias or n.name).lower() for n in src_nodes if n is not target and (n.alias or isinstance(n, exp.Table))
    }
    alias_targets = [t.name.lower() for t in snode.args.get("tables") or ()]
    for sn in src_nodes:
        if isinstance(sn, exp.Table):
            if sn is target and not sn.alias and sn.name.lower() in aliases and not sn.text("db"):
                w.skip.add(id(sn))  # `h` (or `bEMBF`) names the FROM source, not a second table
                alias_targets.append(sn.name.lower())
                continue
            src = w.sources[id(sn)] = w.table(sn)
        else:
            src = _derived_source(sn, w.sql)
        scope.sources.append(src)
        scope.by_key.setdefault(src.key, src)
    for key in alias_targets:
        if key in scope.by_key:
            scope.by_key[key].write = True
    for t in snode.args.get("tables") or ():  # DELETE bJCID FROM deleted WHERE ...: the target joins implicitly
        if isinstance(t, exp.Table) and t.name.lower() not in scope.by_key:
            src = w.sources[id(t)] = w.table(t)
            src.write = True
            w.skip.discard(id(t))
            scope.sources.append(src)
            scope.by_key.setdefault(src.key, src)
    return scope


def walk_statement(stmt: Statement, sql: str, memo: CatalogMemo) -> StatementInfo:
    """Collect the statement's kind, table references, scopes and column uses.

    Inside a trigger (``stmt.module.kind == "TRIGGER"``) ``inserted``/``deleted`` are the trigger's rows
    (kind ``pseudo``); SQL Server's catalog (``sys.*``, ``INFORMATION_SCHEMA.*``, ``sysobjects`` ...) is
    kind ``system`` everywhere. Neither is a Vista object, neither is unknown. In a module, a three-part name
    that the catalog does not know (``OtherDb.dbo.PROBLEMS``) is another database's (kind ``external``).
    """
    node = stmt.node
    nodes = tuple(node.walk())  # breadth-first, as Expression.find_all
    writes, created, skip = _write_targets(nodes)
    # also skipped: alias references (UPDATE h ... FROM APTH h), procedure names, DELETE alias targets
    for ex in find_all(nodes, exp.Execute):  # the procedure's name, EXEC (@sql)'s text
        skip.update(id(t) for t in ex.find_all(exp.Table))
    for d in find_all(nodes, exp.Delete):
        skip.update(id(t) for t in d.args.get("tables") or ())
    module_kind = stmt.module.kind if stmt.module is not None else None
    w = _Walk({c.alias.lower(): c for c in find_all(nodes, exp.CTE)}, memo, sql, writes, skip, module_kind)
    scopes: list[Scope] = []
    scope_of: dict[int, Scope] = {}
    for snode in find_all(nodes, exp.Select, exp.Update, exp.Delete):
        if not isinstance(snode, exp.Select) and snode.find_ancestor(exp.Merge):
            continue  # WHEN MATCHED THEN UPDATE SET ...: part of the MERGE, not a scope of its own
        parent = snode.parent
        while parent is not None and id(parent) not in scope_of:
            parent = parent.parent
        scope = _build_scope(snode, scope_of.get(id(parent)) if parent is not None else None, w)
        scopes.append(scope)
        scope_of[id(snode)] = scope
    tables = [t for t in find_all(nodes, exp.Table) if id(t) not in skip]
    refs = [w.sources.get(id(t)) or w.table(t, id(t) in created) for t in tables]
    refs.sort(key=lambda s: (s.line or 0, s.col or 0))
    columns = _column_uses(nodes, scope_of, sql)
    return StatementInfo(
        node, statement_kind(node), stmt.line, stmt.col, refs, scopes, columns, nodes, stmt.module, stmt.role
    )


def _qualifier(c: exp.Column) -> str | None:
    """The alias or table written before the column's name; ``#t.col`` keeps its ``#`` (the source's key)."""
    table = c.args.get("table")
    if isinstance(table, exp.Identifier) and (table.args.get("temporary") or table.args.get("global_")):
        return ("##" if table.args.get("global_") else "#") + table.name
    return c.table or None


def _column_uses(nodes: tuple[exp.Expression, ...], scope_of: dict[int, Scope], sql: str) -> list[ColumnUse]:
    uses: list[ColumnUse] = []
    for c in find_all(nodes, exp.Column):
        if isinstance(c.this, exp.Star):
            continue
        p = c.parent
        scope = None
        while p is not None:
            if isinstance(p, (exp.WithTableHint, exp.Schema, exp.ColumnDef)):
                break
            scope = scope_of.get(id(p))
            if scope is not None:
                break
            p = p.parent
        if scope is None:
            continue
        line, col = node_position(c.args.get("table") or c.this, sql)
        uses.append(ColumnUse(c, c.name, _qualifier(c), scope, line, col))
    uses.sort(key=lambda u: (u.line or 0, u.col or 0))
    return uses
