"""trialsift as a library (issue 22): one top-level import name, the public API, and a built wheel
that works outside the checkout.

The wheel is built from a copy of the checkout with this environment's setuptools (no build
isolation, no index: nothing is downloaded) and installed, without its dependencies, into a fresh
virtual environment whose only link to this one is a .pth line naming this environment's
site-packages: the dependencies are importable from there, while this environment's editable
install (whose finder only a processed .pth activates) is not. Everything then runs from an
unrelated folder holding a user's own schemas.py, pipeline.py and prompts/, which must change
nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trialsift
from tests.scripted_llm import ScriptedLLM

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_002 = REPO_ROOT / "data" / "samples" / "002_62fd2beb726bde5a.txt"
# What the built distribution may hold at its top level: the package and its metadata.
DIST_INFO = re.compile(r"^trialsift-[^/]+\.dist-info$")


def asked_keys(request_json: dict) -> list[str]:
    return list(request_json["response_format"]["json_schema"]["schema"]["properties"])


def phase_two(request_json: dict) -> dict:
    """A scripted model that states the seed's phase (which its title says) and nothing else."""
    return {key: (["PHASE2"] if key == "phases" else None) for key in asked_keys(request_json)}


def scripted_env(server: ScriptedLLM) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "TRIALSIFT_"))}
    return env | {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key", "TRIALSIFT_MODEL": "scripted",
                  "COLUMNS": "200"}


def user_folder(path: Path) -> Path:
    """An unrelated working folder with modules named like trialsift's old top-level packages."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("schemas.py", "pipeline.py", "prompts.py"):
        (path / name).write_text(f"raise ImportError('the user\\'s own {name} was imported')\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the API in this environment


def test_extract_text_file_and_list_with_a_scripted_endpoint(tmp_path):
    text = SEED_002.read_text(encoding="utf-8")
    with ScriptedLLM(responder=phase_two) as server:
        model = trialsift.OpenAICompatibleModel("scripted", base_url=server.base_url, api_key="test-key")
        assert isinstance(model, trialsift.LanguageModel)
        from_text = trialsift.extract(text, model=model)
        from_path = trialsift.extract(SEED_002, model=model)
        both = trialsift.extract([str(SEED_002), text], model=model)
    assert from_text.record.phases == ["PHASE2"] and from_text.status == "ok" and from_text.source == "<text>"
    assert from_text.usage.calls > 0 and from_text.usage.prompt_tokens > 0
    assert from_path.record == from_text.record and from_path.source == str(SEED_002)
    assert [e.record for e in both] == [from_text.record, from_text.record]
    for evidence in from_text.evidence:  # offsets point into the document's text
        assert from_text.text[evidence.start:evidence.end] == evidence.quote and evidence.method
    phases = [e for e in from_text.evidence if e.field == "phases"]
    assert phases and phases[0].value == "PHASE2"
    assert all(r.reason for r in from_text.refused)


def test_a_users_own_language_model(tmp_path):
    """Any object with `model` and `extract` is a LanguageModel; failures are reported, not raised."""

    class Refuses:
        model = "refuses"

        def extract(self, response_model, messages, *, group="", chunk_sha256="", token_budget=None):
            raise trialsift.ExtractionFailed("no answer", [])

    result = trialsift.extract(SEED_002, model=Refuses())
    assert result.status in ("partial", "failed") and "no answer" in result.error
    assert result.record.phases == ["PHASE2"]  # the rules' values stay


def test_html_text_and_mistyped_paths():
    html = "<html><body><h1>A Phase 3 Study of Drug X</h1><p>Registration: NCT01234567</p></body></html>"
    result = trialsift.extract(html, no_llm=True)
    assert "<h1>" not in result.text and [r.id for r in result.record.registry_ids] == ["NCT01234567"]
    with pytest.raises(FileNotFoundError):
        trialsift.extract("no-such-document.txt", no_llm=True)


def test_database_api_matches_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from trialsift.pipeline.cli import app

    docs = tmp_path / "docs"
    shutil.copytree(REPO_ROOT / "data" / "samples", docs)
    db = trialsift.Database(tmp_path / "api.duckdb")
    summary = db.extract(docs, no_llm=True)
    assert summary.documents == 5 and summary.failed == 0
    cli = CliRunner().invoke(app, ["extract", str(docs), "--no-llm", "--db", str(tmp_path / "cli.duckdb")])
    assert cli.exit_code == 0, cli.output
    from_cli = trialsift.Database(tmp_path / "cli.duckdb")
    assert db.trials() == from_cli.trials() and len(db.trials()) == summary.trials
    first = db.trials()[0]["trial_id"]
    trial = db.trial(first)
    assert trial.trial_id == first and trial.sources and trial.record.model_dump(mode="json").items() <= {
        k: v for k, v in db.trials()[0].items() if k != "trial_id"}.items()
    assert db.sql("SELECT count(*) AS n FROM documents") == [{"n": 5}]
    with pytest.raises(Exception, match="refused|read-only|SELECT"):
        db.sql("DELETE FROM documents")
    with pytest.raises(KeyError):
        db.trial("NCT00000000")
    assert "<html" in db.review(first).lower()
    out = tmp_path / "trials.jsonl"
    assert db.export(out) == len(db.trials()) and len(out.read_text().splitlines()) == len(db.trials())
    again = db.extract(docs, no_llm=True)  # resumable: what was done is not done again
    assert again.skipped == 5 - again.ok - again.failed - again.partial


def test_user_modules_named_like_ours_change_nothing(tmp_path):
    """The editable install, run from a folder with its own schemas.py, pipeline.py and prompts.py."""
    program = textwrap.dedent(f"""
        import json, trialsift
        r = trialsift.extract({str(SEED_002)!r}, no_llm=True)
        print(json.dumps(r.record.model_dump(mode="json"), sort_keys=True))
    """)
    inside = subprocess.run([sys.executable, "-c", program], cwd=user_folder(tmp_path / "user"), capture_output=True,
                            text=True, timeout=300)
    assert inside.returncode == 0, inside.stderr
    expected = trialsift.extract(SEED_002, no_llm=True).record.model_dump(mode="json")
    assert json.loads(inside.stdout) == expected


# --------------------------------------------------------------------------- a built wheel


def _build_wheel(into: Path) -> Path:
    source = into / "source"
    for name in ("trialsift", "pipeline", "schemas", "prompts", "data", "eval"):
        shutil.copytree(REPO_ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "results", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", str(into / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (into / "dist").glob("trialsift-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the built wheel installed (not editable); returns its python."""
    root = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(root)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # Plain path lines: this environment's packages become importable, its .pth files are not run.
    Path(purelib, "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
                                "-q", str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def test_the_wheel_has_one_top_level_name(wheel_venv, tmp_path):
    program = textwrap.dedent("""
        import importlib.metadata as m, json, trialsift
        dist = m.distribution("trialsift")
        tops = sorted({f.parts[0] for f in dist.files if not f.parts[0].startswith("..")})
        print(json.dumps({"top_level": dist.read_text("top_level.txt").split(), "tops": tops,
                          "file": trialsift.__file__, "version": trialsift.__version__}))
    """)
    out = subprocess.run([str(wheel_venv), "-c", program], cwd=user_folder(tmp_path), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["top_level"] == ["trialsift"]
    assert [name for name in found["tops"] if not DIST_INFO.match(name)] == ["trialsift"]
    assert Path(found["file"]).is_relative_to(wheel_venv.parent.parent) and found["version"] == "0.1.0"


def test_the_wheel_extracts_evaluates_and_reviews_outside_the_checkout(wheel_venv, tmp_path):
    work = user_folder(tmp_path / "work")
    (work / "prompts").unlink(missing_ok=True)
    program = textwrap.dedent(f"""
        import trialsift
        r = trialsift.extract(open({str(SEED_002)!r}, encoding="utf-8").read(), model=None)
        print(r.record.phases, r.usage.calls > 0)
    """)
    trialsift_command = str(wheel_venv.parent / "trialsift")
    with ScriptedLLM(responder=phase_two) as server:
        env = scripted_env(server)
        api = subprocess.run([str(wheel_venv), "-c", program], cwd=work, env=env, capture_output=True, text=True,
                             timeout=300)
        assert api.returncode == 0, api.stderr
        assert api.stdout.split("\n")[0] == "['PHASE2'] True"
        docs = work / "docs"
        shutil.copytree(REPO_ROOT / "data" / "samples", docs)
        extract = subprocess.run([trialsift_command, "extract", "docs", "--db", "t.duckdb"], cwd=work, env=env,
                                 capture_output=True, text=True, timeout=600)
        assert extract.returncode == 0, extract.stdout + extract.stderr
    runs = subprocess.run([trialsift_command, "sql", "SELECT git_commit FROM runs", "--db", "t.duckdb",
                           "--format", "json"], cwd=work, capture_output=True, text=True, timeout=120)
    assert json.loads(runs.stdout) == [{"git_commit": "0.1.0"}]  # the package version; no git in site-packages
    trial = subprocess.run([trialsift_command, "sql", "SELECT trial_id FROM phases WHERE phase = 'PHASE2'",
                            "--db", "t.duckdb", "--format", "csv"], cwd=work, capture_output=True, text=True,
                           timeout=120).stdout.split()[-1]
    review = subprocess.run([trialsift_command, "review", trial, "--db", "t.duckdb", "--html", "r.html"], cwd=work,
                            capture_output=True, text=True, timeout=120)
    assert review.returncode == 0, review.stderr
    assert f"<title>trialsift review: {trial}</title>" in (work / "r.html").read_text(encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "TRIALSIFT_CORPUS"} | {"COLUMNS": "200"}
    evaluated = subprocess.run([trialsift_command, "eval", "--no-llm", "--db", "e.duckdb"], cwd=work, env=env,
                               capture_output=True, text=True, timeout=900)
    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    assert "no corpus" in evaluated.stdout and "micro P / R / F1" in evaluated.stdout
    scored = subprocess.run([trialsift_command, "sql", "SELECT documents FROM eval_runs", "--db", "e.duckdb",
                             "--format", "json"], cwd=work, capture_output=True, text=True, timeout=120)
    bundled = len(list((REPO_ROOT / "eval" / "pages").glob("*.txt"))) + 5  # the collected pages and the seeds
    assert json.loads(scored.stdout) == [{"documents": bundled}]


@pytest.mark.embedded
def test_the_wheel_extracts_with_the_embedded_model(wheel_venv, tmp_path):
    """The issue's acceptance check: model=None is the embedded default, started and stopped here."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    program = (f"import trialsift; r = trialsift.extract(open({str(SEED_002)!r}, encoding='utf-8').read(), "
               "model=None); print(r.record.phases)")
    out = subprocess.run([str(wheel_venv), "-c", program], cwd=user_folder(tmp_path), env=env, capture_output=True,
                         text=True, timeout=1800)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "['PHASE2']"


def test_the_readme_python_example_runs(tmp_path):
    """README.md's "Python" example, run as written, with model=None resolving to a scripted endpoint."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    with ScriptedLLM(responder=phase_two) as server:
        out = subprocess.run([sys.executable, "-c", example], cwd=user_folder(tmp_path), env=scripted_env(server),
                             capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "['PHASE2'] [RegistryId(registry='NCT', id='NCT01234567')]"
    assert "1 extracted, 1 trial(s)" in lines and "120 ['docs/trial.txt']" in lines
