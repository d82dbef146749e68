"""``docs/benchmarks.md`` names the commit it measured, so ``scripts/bench`` writes it only from
a committed tree (unless ``--allow-dirty``), and refuses before measuring anything."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Measured(Exception):
    """Raised where measuring would start: the run got past the check."""


@pytest.fixture
def compare(monkeypatch: pytest.MonkeyPatch, benchmark_module: Callable[[str], ModuleType]) -> Any:
    compare = benchmark_module("compare")

    def prepare(*args: Any) -> None:
        raise Measured

    monkeypatch.setattr(compare, "prepare", prepare)
    return compare


def test_a_dirty_tree_is_refused_before_measuring(
    compare: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(compare, "uncommitted", lambda: [" M replicate/client.py", "?? notes.txt"])
    assert compare.main([]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "uncommitted changes (M replicate/client.py, ?? notes.txt)" in line
    assert "--allow-dirty" in line
    monkeypatch.setattr(compare, "uncommitted", lambda: None)  # not a checkout: cannot tell
    assert compare.main([]) == 2


def test_allow_dirty_a_clean_tree_or_another_folder_go_on(
    compare: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(compare, "uncommitted", lambda: [" M replicate/client.py"])
    for argv in (["--allow-dirty"], ["--smoke"], ["--out-dir", str(tmp_path)]):
        with pytest.raises(Measured):
            compare.main(argv)
    monkeypatch.setattr(compare, "uncommitted", lambda: [])
    with pytest.raises(Measured):
        compare.main([])


def test_results_measured_from_a_dirty_tree_are_not_rendered_into_docs(
    compare: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rendered: list[Path] = []
    monkeypatch.setattr(
        compare, "render", lambda results, out_dir, *rest, **kw: rendered.append(out_dir)
    )
    results = tmp_path / "results.json"
    results.write_text('{"smoke": false, "uncommitted": [" M replicate/client.py"]}')
    assert compare.main(["--from-results", str(results)]) == 2
    assert compare.main(["--from-results", str(results), "--out-dir", str(tmp_path)]) == 0
    assert compare.main(["--from-results", str(results), "--allow-dirty"]) == 0
    assert rendered == [tmp_path, ROOT / "docs"]


def test_uncommitted_reads_git_status(
    compare: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def git(*args: str) -> None:
        identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        subprocess.run(["git", *identity, *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "page.md").write_text("figures\n")
    git("add", "page.md")
    git("commit", "-q", "-m", "page")
    monkeypatch.setattr(compare, "ROOT", tmp_path)
    assert compare.uncommitted() == []
    assert re.fullmatch(r"[0-9a-f]{7,}", compare.revision())
    (tmp_path / "page.md").write_text("other figures\n")
    (tmp_path / "new.txt").write_text("")
    assert compare.uncommitted() == [" M page.md", "?? new.txt"]
    assert compare.revision().endswith(", with uncommitted changes")


def test_the_committed_page_names_a_commit_of_this_project_measured_clean() -> None:
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    [described] = re.findall(r"- this client: this project at (.+), with httpx", page)
    assert "uncommitted" not in described
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    found = subprocess.run(
        ["git", "cat-file", "-t", described], cwd=ROOT, capture_output=True, text=True
    )
    assert found.stdout.strip() == "commit", f"{described} is not a commit of this repository"
