"""Structure guard for webapp/: where SQL, views, forms and imports may live (AST only, no app)."""

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

OWNERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "users",
            "user_roles",
            "consents",
            "sessions",
            "sms_codes",
            "factor_failures",
            "known_devices",
            "passkeys",
            "totp_secrets",
            "recovery_codes",
        ),
        "auth",
    ),
    "recovery_requests": "recovery",
    **dict.fromkeys(
        (
            "person",
            "name_changes",
            "employments",
            "educations",
            "certificates",
            "categories",
            "nmo_entries",
            "reminders",
        ),
        "profile",
    ),
    **dict.fromkeys(("documents", "document_versions", "uploads"), "documents"),
    **dict.fromkeys(
        ("applications", "application_events", "application_files", "application_numbers"),
        "applications",
    ),
    **dict.fromkeys(
        ("notifications", "notification_prefs", "push_subscriptions", "deliveries"), "notifications"
    ),
    "audit_log": "audit",
    "calendar_overrides": "workdays",
    "dev_outbox": "adapters",
}

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"

# Module paths (relative to webapp/) that may hold SQL besides store.py and store/ packages
# (backup.py: pragmas on whole database files, no table's SQL).
SQL_HOMES = {
    ("db.py",),
    ("audit.py",),
    ("workdays.py",),
    ("backup.py",),
    ("adapters", "outbox.py"),
}
SQL_CALLS = {"execute", "executemany", "executescript", "query"}
FORM_BASES = {"Form", "FlaskForm"}

SQL_LOOKING = re.compile(
    r"\bselect\b.+\bfrom\b"
    r"|\binsert\s+(?:or\s+\w+\s+)?into\b"
    r"|\breplace\s+into\b"
    r"|\bupdate\s+(?:or\s+\w+\s+)?\w+\s+set\b"
    r"|\bdelete\s+from\b"
    r"|\bcreate\s+table\b",
    re.IGNORECASE | re.DOTALL,
)
_TABLE = r"""["`\[]?(\w+)["`\]]?"""
WRITTEN_TABLE = re.compile(
    rf"\binsert\s+(?:or\s+\w+\s+)?into\s+{_TABLE}"
    rf"|\breplace\s+into\s+{_TABLE}"
    rf"|\bupdate\s+(?:or\s+\w+\s+)?{_TABLE}\s+set\b"
    rf"|\bdelete\s+from\s+{_TABLE}",
    re.IGNORECASE,
)


@dataclass(frozen=True, eq=False)
class Module:
    """One parsed file under webapp/, with its AST flattened once (ast.walk is the slow part)."""

    rel: str  # "webapp/auth/store.py"
    parts: tuple[str, ...]  # ("auth", "store.py"), relative to webapp/
    name: str  # "webapp.auth.store"
    is_package: bool
    nodes: tuple[ast.AST, ...]


@functools.cache
def _modules() -> tuple[Module, ...]:
    """Parse every webapp/**/*.py once, in path order."""
    found = []
    for path in sorted(WEBAPP.rglob("*.py")):
        parts = path.relative_to(WEBAPP).parts
        dotted = ["webapp", *parts[:-1]]
        if path.stem != "__init__":
            dotted.append(path.stem)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.append(
            Module(
                rel=path.relative_to(ROOT).as_posix(),
                parts=parts,
                name=".".join(dotted),
                is_package=path.stem == "__init__",
                nodes=tuple(ast.walk(tree)),
            )
        )
    return tuple(found)


@functools.cache
def _module_names() -> frozenset[str]:
    """Dotted names of every module and package directory under webapp/."""
    names = {"webapp"}
    for module in _modules():
        dotted = module.name.split(".")
        names.update(".".join(dotted[:i]) for i in range(1, len(dotted) + 1))
    return frozenset(names)


def _unit(module: Module) -> str:
    """The unit a module belongs to: its subpackage, or its own name at the top level."""
    return module.parts[0] if len(module.parts) > 1 else module.parts[0].removesuffix(".py")


def _is_composition_root(module: Module) -> bool:
    """webapp/__init__.py, the app factory."""
    return module.parts == ("__init__.py",)


def _is_view_module(module: Module) -> bool:
    """views.py, *_views.py, or anything inside a views/ package."""
    filename = module.parts[-1]
    return filename == "views.py" or filename.endswith("_views.py") or "views" in module.parts[:-1]


def _may_hold_sql(module: Module) -> bool:
    """store.py / store/ of a package, db.py, audit.py, workdays.py and the dev outbox."""
    parts = module.parts
    return (
        parts in SQL_HOMES
        or (len(parts) == 2 and parts[1] == "store.py")
        or (len(parts) >= 3 and parts[1] == "store")
    )


def _is_forms_module(module: Module) -> bool:
    """A module named forms.py or one inside a forms/ package."""
    return module.parts[-1] == "forms.py" or "forms" in module.parts[:-1]


def _docstring_ids(module: Module) -> set[int]:
    """ids of the docstring nodes of the module and its classes and functions."""
    ids = set()
    for node in module.nodes:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                ids.add(id(first.value))
    return ids


def _strings(module: Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal but docstrings; f-string placeholders become {}."""
    skip = _docstring_ids(module)
    for node in module.nodes:
        if isinstance(node, ast.JoinedStr):
            skip.update(id(part) for part in node.values)
    for node in module.nodes:
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
                else "{}"
                for part in node.values
            )
            yield node.lineno, text


@functools.cache
def _sql_strings(module: Module) -> tuple[tuple[int, str], ...]:
    """(line, text) of the string literals that look like SQL."""
    return tuple((line, text) for line, text in _strings(module) if SQL_LOOKING.search(text))


def _name_of(node: ast.expr) -> str | None:
    """The trailing name of x, a.x or x(...), else None."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_db_like(node: ast.expr) -> bool:
    """db, something_db, g.db or get_db(): a database handle by its name."""
    name = _name_of(node)
    return name is not None and name.lower().endswith("db")


@functools.cache
def _db_subscripts(module: Module) -> tuple[tuple[int, ast.Subscript], ...]:
    """(line, node) of every db[...] table access."""
    return tuple(
        (node.lineno, node)
        for node in module.nodes
        if isinstance(node, ast.Subscript) and _is_db_like(node.value)
    )


def _snippet(text: str, width: int = 72) -> str:
    """A one-line, shortened repr of a string for messages."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")


@functools.cache
def _sql_findings(module: Module) -> tuple[tuple[int, str], ...]:
    """(line, what) of every SQL call, db[...] access and SQL-looking literal in a module."""
    findings = []
    for node in module.nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            findings.append((node.lineno, f".{node.func.attr}() call"))
    for line, node in _db_subscripts(module):
        findings.append((line, f"table access {ast.unparse(node)}"))
    for line, text in _sql_strings(module):
        findings.append((line, f"SQL string {_snippet(text)}"))
    return tuple(sorted(findings))


@functools.cache
def _imports(module: Module) -> tuple[tuple[int, str, str | None], ...]:
    """(line, module imported, name imported from it or None) for every import, however deep.

    `from X import n` counts as importing X.n when that is a module, else as importing X.
    Relative imports are resolved against the module's own package.
    """
    known = _module_names()
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    found = []
    for node in module.nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, alias.name, None))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in known:
                    found.append((node.lineno, full, None))
                else:
                    found.append((node.lineno, source, alias.name))
    return tuple(found)


def _views_package(dotted: str) -> str | None:
    """The package whose views a dotted module name is (webapp.<pkg>.views…), else None."""
    parts = dotted.split(".")
    is_views = len(parts) >= 3 and (parts[2] == "views" or parts[2].endswith("_views"))
    return parts[1] if is_views and parts[0] == "webapp" else None


def _target_unit(dotted: str) -> str | None:
    """The webapp unit a dotted module name belongs to; "" for the root package itself."""
    parts = dotted.split(".")
    if parts[0] != "webapp":
        return None
    return parts[1] if len(parts) > 1 else ""


@functools.cache
def _unit_graph() -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Unit → imported unit → ["file:line", …], and the imports of names from the root."""
    graph: dict[str, dict[str, list[str]]] = {}
    root_imports = []
    for module in _modules():
        if _is_composition_root(module):
            continue
        unit = _unit(module)
        graph.setdefault(unit, {})
        for line, target, name in _imports(module):
            other = _target_unit(target)
            if other is None or other == unit:
                continue
            if other == "":
                what = f"from webapp import {name}" if name else "import webapp"
                root_imports.append(f"{module.rel}:{line}: `{what}`: import from the root package")
                continue
            where = graph[unit].setdefault(other, [])
            if f"{module.rel}:{line}" not in where:
                where.append(f"{module.rel}:{line}")
    return graph, root_imports


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, {}):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _fail_if_any(violations: list[str], headline: str) -> None:
    """Fail listing every violation on its own line; pass when there are none."""
    if violations:
        lines = "\n".join(f"  {violation}" for violation in violations)
        pytest.fail(f"{headline} — {len(violations)} violation(s):\n{lines}", pytrace=False)


def test_structure_guard_sees_the_webapp_package():
    """The walker finds views and stores, so the other tests cannot pass on an empty tree."""
    modules = _modules()
    assert any(_is_view_module(module) for module in modules)
    assert any(_may_hold_sql(module) for module in modules)


def test_view_modules_contain_no_sql():
    """Views call store functions: no .execute/.query calls, db[...] or SQL strings."""
    violations = [
        f"{module.rel}:{line}: {what}"
        for module in _modules()
        if _is_view_module(module)
        for line, what in _sql_findings(module)
    ]
    _fail_if_any(violations, "SQL in view modules")


def test_sql_lives_only_in_store_modules():
    """SQL calls, db[...] and SQL strings appear only in stores, db.py, audit, workdays, outbox."""
    violations = [
        f"{module.rel}:{line}: {what}"
        for module in _modules()
        if not _may_hold_sql(module)
        for line, what in _sql_findings(module)
    ]
    _fail_if_any(violations, "SQL outside store modules")


def test_store_modules_write_only_their_own_units_tables():
    """insert/update/delete/replace and db["t"] target tables that OWNERS gives the own unit."""
    violations = []
    for module in _modules():
        if not _may_hold_sql(module) or module.parts == ("db.py",):
            continue
        unit = _unit(module)
        writes = [
            (line, next(group for group in match.groups() if group).lower())
            for line, text in _sql_strings(module)
            for match in WRITTEN_TABLE.finditer(text)
        ]
        writes += [
            (line, node.slice.value.lower())
            for line, node in _db_subscripts(module)
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        ]
        for line, table in sorted(writes):
            owner = OWNERS.get(table)
            if owner is None:
                violations.append(
                    f"{module.rel}:{line}: writes unknown table {table!r} (add it to OWNERS)"
                )
            elif owner != unit:
                violations.append(
                    f"{module.rel}:{line}: writes {table!r}, owned by {owner!r}, from unit {unit!r}"
                )
    _fail_if_any(violations, "Writes to another unit's tables")


def test_no_module_imports_another_packages_views():
    """Only the package itself (and the app factory) may import webapp.<pkg>.views modules."""
    violations = []
    for module in _modules():
        if _is_composition_root(module):
            continue
        for line, target, _name in _imports(module):
            owner = _views_package(target)
            if owner is not None and module.parts[0] != owner:
                violations.append(f"{module.rel}:{line}: imports {target}")
    _fail_if_any(violations, "Imports of another package's views")


def test_no_module_imports_names_from_the_composition_root():
    """`from webapp import X` must name a module or subpackage, never the app factory's names."""
    _graph, root_imports = _unit_graph()
    _fail_if_any(root_imports, "Imports from the composition root (webapp/__init__.py)")


def test_units_import_each_other_without_cycles():
    """No import cycle between units (subpackages and top-level modules), lazy imports included."""
    graph, _root_imports = _unit_graph()
    violations = []
    for component in _cycles(graph):
        edges = [
            f"\n      {unit} -> {other}: " + ", ".join(graph[unit][other])
            for unit in component
            for other in sorted(set(graph[unit]) & set(component))
        ]
        violations.append("cycle among " + ", ".join(component) + ":" + "".join(edges))
    _fail_if_any(violations, "Import cycles between webapp units")


def test_form_classes_live_in_forms_modules():
    """Classes deriving from Form, FlaskForm or another form are defined in forms.py/forms/."""
    classes = [
        (module, node)
        for module in _modules()
        for node in module.nodes
        if isinstance(node, ast.ClassDef)
    ]
    form_names = set(FORM_BASES)
    changed = True
    while changed:
        changed = False
        for _module, node in classes:
            if node.name not in form_names and {_name_of(b) for b in node.bases} & form_names:
                form_names.add(node.name)
                changed = True
    violations = [
        f"{module.rel}:{node.lineno}: form class {node.name} outside forms.py"
        for module, node in classes
        if not _is_forms_module(module) and {_name_of(b) for b in node.bases} & form_names
    ]
    _fail_if_any(violations, "Form classes outside forms modules")
