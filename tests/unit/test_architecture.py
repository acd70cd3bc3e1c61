"""The house's walls: layers that point one way, light imports, module and function sizes.

The layers, lowest first (docs/architecture.md):

0. the core: ``mailroom.models``, ``mailroom.records``, ``mailroom.errors``, ``mailroom.logs``,
   ``mailroom.settings`` and every component's ``settings`` module (pydantic only);
1. the components: ``ingest``, ``extract``, ``classify``, ``storage`` (they may use one another:
   ``ingest`` reads through ``storage.base``'s protocols);
2. ``validate`` (matching, checks, GED filing, completeness requests);
3. the runners: ``mailroom.pipeline`` and what drives it (worker, watchers, evaluation, batches);
4. ``review``, the web application over the stores and the pipeline;
5. ``mailroom.cli``, the entry point, which registers every command (the review's included).

A module may import its own layer or a lower one, never a higher one; a component must not
import ``validate``, ``review`` or the runners. Local imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("mailroom", "ingest", "extract", "classify", "validate", "storage", "review")
CORE = {"mailroom.models", "mailroom.records", "mailroom.errors", "mailroom.logs"}
RUNNERS = {
    "mailroom.pipeline",
    "mailroom.worker",
    "mailroom.watch",
    "mailroom.evaluation",
    "mailroom.batch_eval",
    "mailroom.classify_eval",
    "mailroom.fraud_eval",
    "mailroom.batches",
    "mailroom.resplit",
    "mailroom.stages",
    "mailroom.learning",
    "mailroom.learning_eval",
    "mailroom.learning_cli",
    "mailroom.refit",
    "mailroom.versions",
}
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100


def layer(module: str) -> int:
    parts = module.split(".")
    if parts[-1] == "settings" or module in CORE or module == "mailroom":
        return 0
    if parts[0] in ("ingest", "extract", "classify", "storage"):
        return 1
    if parts[0] == "validate":
        return 2
    if any(module == r or module.startswith(r + ".") for r in RUNNERS):
        return 3
    if parts[0] == "review":
        return 4
    if module == "mailroom.cli":
        return 5
    raise AssertionError(f"{module}: no layer says where it belongs (add it to test_architecture)")


def product_modules() -> list[tuple[str, Path]]:
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), path))
    return found


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.module, node.lineno))
    return [(n, line) for n, line in names if n.split(".")[0] in PRODUCT]


def upward_imports() -> list[str]:
    wrong = []
    for module, path in product_modules():
        here = layer(module)
        for target, line in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if layer(target) > here:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target}")
    return wrong


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports() == []


def test_no_development_tool_ships_in_the_product_packages() -> None:
    # measuring lives in mailroom eval (mailroom/*_eval.py, evaluation.py) or in bench/
    shipped = {module for module, _ in product_modules()}
    assert not {"extract.fields.devtools", "classify.measure"} & shipped
    assert (ROOT / "bench" / "fields.py").exists()


def test_core_settings_and_records_import_only_the_core() -> None:
    wrong = []
    for module, path in product_modules():
        if layer(module) != 0:
            continue
        for target, line in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if layer(target) != 0:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target}")
    assert wrong == []


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from validate.ged import make_ged_entry\n")
    (target, _), = imported_modules(tree)
    assert layer(target) > layer("storage.sql")
    assert layer("mailroom.cli") > layer("review.app") > layer("mailroom.pipeline")
    with pytest.raises(AssertionError):
        layer("mailroom.unplaced")


def loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "must_not_load"),
    [
        ("storage", {"jinja2", "babel", "smtplib", "validate", "review", "ingest", "fastapi"}),
        ("storage.sql", {"jinja2", "babel", "smtplib", "validate", "review", "ingest"}),
        ("storage.dossiers", {"jinja2", "babel", "smtplib", "validate", "review", "ingest"}),
        ("extract.reader", {"ingest.imap", "ingest.watch_folder", "imaplib", "review.app"}),
        ("mailroom.settings", {"ingest.imap", "ingest.watch_folder", "ingest.split", "review.app"}),
        ("mailroom.records", {"validate", "storage", "jinja2", "smtplib"}),
        ("classify.model", {"storage", "validate", "review", "ingest.imap"}),
    ],
)
def test_importing_a_part_does_not_load_machinery_it_does_not_use(
    module: str, must_not_load: set[str]
) -> None:
    loaded = loaded_after_import(module)
    assert module in loaded
    assert sorted(must_not_load & loaded) == []


def long_functions(tree: ast.AST, lines_of: int) -> list[tuple[str, int, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > lines_of:
                found.append((node.name, node.lineno, length))
    return found


def test_no_module_or_function_is_too_long() -> None:
    wrong = []
    for _, path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            wrong.append(f"{relative}: {len(text.splitlines())} lines")
        for name, line, length in long_functions(ast.parse(text), MAX_FUNCTION_LINES):
            wrong.append(f"{relative}:{line}: {name} is {length} lines")
    assert wrong == []


def test_the_size_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(ast.parse(f"def f():\n{body}\n"), MAX_FUNCTION_LINES) == [
        ("f", 1, MAX_FUNCTION_LINES + 1)
    ]
