"""The built wheel carries the grammar and works installed in a fresh virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import attr
import attrs
import lark
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("filterql-*.whl")
    return built


def test_grammar_is_in_the_wheel(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "filterql/filterql.lark" in names
    assert "filterql/py.typed" in names
    for name in ("filterql.lark", "ui_search.lark"):
        grammar = zipfile.ZipFile(wheel).read(f"filterql/{name}").decode()
        assert grammar == (ROOT / "grammar" / name).read_text("utf-8")


def test_wheel_works_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    # The runtime dependencies, without network: link just lark and attrs into a directory the
    # new venv reads through a .pth file (not this env's whole site-packages, which holds filterql).
    deps = tmp_path / "deps"
    deps.mkdir()
    for module in (lark, attr, attrs):
        pkg = Path(module.__file__).parent
        (deps / pkg.name).symlink_to(pkg)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "filterql_test_deps.pth").write_text(str(deps) + "\n")
    code = (
        "import filterql; "
        "print(filterql.__file__); "
        "print(filterql.render(filterql.parse(\"and(eq(run_type, 'llm'), gt(latency, '5s'))\"))); "
        "print(filterql.from_ui('status:error'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the fresh venv only, not a checkout
    out = subprocess.run([str(python), "-c", code], cwd=tmp_path, check=True, capture_output=True, text=True,
                         timeout=120, env=env)
    location, rendered, ui = out.stdout.splitlines()
    assert ui == 'eq(status, "error")'
    assert Path(location).resolve().is_relative_to(venv.resolve())
    assert rendered == 'and(eq(run_type, "llm"), gt(latency, "5s"))'
    # The console script is installed too.
    cli = subprocess.run([str(venv / "bin" / "filterql"), "fmt", "eq(a,1)"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env=env)
    assert (cli.returncode, cli.stdout) == (0, "eq(a, 1)\n")
