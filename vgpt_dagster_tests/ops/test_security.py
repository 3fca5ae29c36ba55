"""Security posture, tested: loopback-only UI, SQL analysed never executed, safetensors without remote code,
safe YAML, and no pickled content in data/ or the finished models under saves/."""

import ast
import re
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import psutil
import pytest
import requests

from vgpt_dagster.errors import ConfigError, ValidationError
from vgpt_dagster.paths import PACKAGE_ROOT
from vgpt_dagster_tests.support.processes import run_env

SOURCES = sorted((PACKAGE_ROOT / "vgpt_dagster").rglob("*.py"))
DB_DRIVERS = {
    "pyodbc", "pymssql", "sqlalchemy", "sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql",
    "cx_Oracle", "oracledb", "turbodbc", "jaydebeapi", "ibm_db", "duckdb", "aioodbc", "asyncpg", "databricks",
}  # fmt: skip
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".npy", ".npz"}
# What transformers' Trainer writes into a checkpoint-N folder for resuming (torch.save = zip + data.pkl); it
# reads them back with torch.load(..., weights_only=True). Only allowed under saves/<profile>/<stage>.work/.
TRAINER_STATE = {"optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt", "training_args.bin"}


def _trees() -> dict[Path, ast.AST]:
    return {f: ast.parse(f.read_text(encoding="utf-8"), str(f)) for f in SOURCES}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, ast.unparse(node.func)


def _is_true(value: ast.AST) -> bool:
    return isinstance(value, ast.Constant) and value.value is True


def _is_false(value: ast.AST) -> bool:
    return isinstance(value, ast.Constant) and value.value is False


def _imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


# -- the web UI listens on loopback only ------------------------------------------------------------------


def test_make_ui_binds_loopback():
    recipe = re.search(r"^ui:.*\n((?:\t.*\n)+)", (PACKAGE_ROOT / "Makefile").read_text(), re.M)
    assert recipe and "dagster dev -h 127.0.0.1 " in recipe.group(1)


def _non_loopback_addresses() -> list[str]:
    out = []
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6) and not a.address.startswith(("127.", "::1", "fe80")):
                out.append(a.address.split("%")[0])
    return out


@pytest.mark.slow
def test_dagster_dev_listens_on_loopback_only(dagster_dev):
    assert requests.get(f"{dagster_dev.url}/server_info", timeout=5).ok
    procs = [psutil.Process(dagster_dev.proc.pid), *psutil.Process(dagster_dev.proc.pid).children(recursive=True)]
    listening = [
        (p.name(), c.laddr.ip, c.laddr.port)
        for p in procs
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert ("127.0.0.1", dagster_dev.port) in {(ip, port) for _, ip, port in listening}
    exposed = [entry for entry in listening if entry[1] not in ("127.0.0.1", "::1")]
    assert not exposed, f"listening beyond loopback: {exposed}"
    for address in _non_loopback_addresses():  # e.g. eth0's address: nothing answers there
        with pytest.raises(OSError), socket.create_connection((address, dagster_dev.port), timeout=2):
            pass


# -- model-generated SQL is analysed, never executed ---------------------------------------------------------


SANDBOX_PACKAGE = PACKAGE_ROOT / "vgpt_dagster" / "execution"


def _sandbox_connect_offenders(f: Path, tree: ast.AST) -> list[str]:
    """In the execution package, every ``duckdb.connect`` on a file is read-only; the builder connects in memory."""
    return [
        f"{f}:{n.lineno}: {name}() on a file without read_only=True"
        for n, name in _calls(tree)
        if name == "duckdb.connect"
        and n.args
        and not any(kw.arg == "read_only" and _is_true(kw.value) for kw in n.keywords)
    ]


def test_no_database_driver_or_sql_executor_in_the_package():
    # The one exception is the execution package: DuckDB on the synthetic sandbox file it builds itself
    # (never a customer's server), opened read-only when queries run (test_sandbox.py proves DML changes nothing).
    offenders = []
    for f, tree in _trees().items():
        drivers = _imported_roots(tree) & DB_DRIVERS
        if SANDBOX_PACKAGE in f.parents:
            offenders += [f"{f}: imports {m}" for m in drivers - {"duckdb"}]
            offenders += _sandbox_connect_offenders(f, tree)
        else:
            offenders += [f"{f}: imports {m}" for m in drivers]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlglot.executor"):
                offenders.append(f"{f}:{node.lineno}: imports sqlglot.executor")
        offenders += [
            f"{f}:{n.lineno}: {name}()"
            for n, name in _calls(tree)
            if name.endswith(("create_engine", ".executor.execute"))
        ]
    assert not offenders, offenders


def test_checking_destructive_sql_loads_no_database_driver():
    script = (
        "import sys\n"
        "from vgpt_dagster.cli import main\n"
        "rc = main(['sql', 'check', 'DROP TABLE bAPTL; DELETE FROM APTH WHERE APCo = 1'])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(DB_DRIVERS)!r})\n"
        "print('LOADED', loaded)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=run_env(PACKAGE_ROOT), capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # findings, nothing run
    assert "not_select: DROP changes bAPTL" in proc.stdout and "not_select: DELETE changes APTH" in proc.stdout
    assert "LOADED []" in proc.stdout


# -- models and adapters: safetensors, no remote code ---------------------------------------------------------


def _model_load_offenders(f: Path, tree: ast.AST) -> list[str]:
    """Every ``AutoModel*.from_pretrained`` pins trust_remote_code=False and loads safetensors, or reads the
    default model's GGUF (``gguf_file=``: a data format with no code, converted once to safetensors)."""
    out = []
    text = f.read_text(encoding="utf-8")
    for n, name in _calls(tree):
        if not re.fullmatch(r"AutoModel\w*\.from_pretrained", name):
            continue
        kws = {kw.arg: kw.value for kw in n.keywords}
        if None in kws:  # **kwargs built in the same file: that file must pin both (as text)
            if "use_safetensors=True" not in text or "trust_remote_code=False" not in text:
                out.append(
                    f"{f}:{n.lineno}: {name}(**kwargs) in a file that does not pin safetensors and no remote code"
                )
            continue
        if not _is_false(kws.get("trust_remote_code", ast.Constant(True))):
            out.append(f"{f}:{n.lineno}: {name}() without trust_remote_code=False")
        if "gguf_file" not in kws and not _is_true(kws.get("use_safetensors", ast.Constant(False))):
            out.append(f"{f}:{n.lineno}: {name}() without use_safetensors=True")
    return out


def test_no_remote_code_no_pickle_loading_in_the_package():
    offenders = []
    for f, tree in _trees().items():
        offenders += [f"{f}: imports {m}" for m in _imported_roots(tree) & PICKLE_MODULES]
        for node, name in _calls(tree):
            for kw in node.keywords:
                bad = (kw.arg == "trust_remote_code" and not _is_false(kw.value)) or (
                    kw.arg in ("weights_only", "use_safetensors") and not _is_true(kw.value)
                )
                if bad:
                    offenders.append(f"{f}:{node.lineno}: {kw.arg}={ast.unparse(kw.value)}")
            if name in ("torch.load", "load_state_dict_from_url", "torch.hub.load"):
                offenders.append(f"{f}:{node.lineno}: {name}()")
        offenders += _model_load_offenders(f, tree)
    assert not offenders, offenders


def test_an_adapter_saved_as_bin_is_refused(tmp_path):
    # Unit twins: validation/test_runner.py (corrupt/missing safetensors), training/test_config.py
    # test_pretrained_weights_missing_says_where_we_looked (a base model with only pytorch_model.bin is refused).
    from vgpt_dagster.runtime.inference import check_adapter

    (tmp_path / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    (tmp_path / "adapter_model.bin").write_bytes(b"\x80\x04K\x01.")  # a pickle: never opened
    with pytest.raises(ValidationError, match=r"missing: .*adapter_model\.safetensors"):
        check_adapter(tmp_path)


# -- YAML is parsed with the safe loader ------------------------------------------------------------------------


def test_yaml_is_only_loaded_safely():
    offenders = []
    for f, tree in _trees().items():
        for node, name in _calls(tree):
            if name in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"):
                offenders.append(f"{f}:{node.lineno}: {name}")
            if name in ("yaml.load", "yaml.load_all"):
                loader = next((ast.unparse(k.value) for k in node.keywords if k.arg == "Loader"), None)
                if loader is None and len(node.args) > 1:
                    loader = ast.unparse(node.args[1])
                if loader not in ("yaml.SafeLoader", "yaml.CSafeLoader", "SafeLoader", "CSafeLoader"):
                    offenders.append(f"{f}:{node.lineno}: {name}(Loader={loader})")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("UnsafeLoader", "FullLoader", "Loader"):
                if ast.unparse(node.value) == "yaml":
                    offenders.append(f"{f}:{node.lineno}: yaml.{node.attr}")
    assert not offenders, offenders


def test_a_yaml_file_with_python_tags_is_a_config_error_and_runs_nothing(tmp_path):
    from vgpt_dagster.config import read_yaml

    marker = tmp_path / "pwned"
    cfg = tmp_path / "datasets.yaml"
    cfg.write_text(f'scale: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ConfigError, match=r"datasets\.yaml: line 1, column 8: not valid YAML"):
        read_yaml(cfg)
    assert not marker.exists()


# -- nothing pickled in data/ or the finished models under saves/ --------------------------------------------


def _is_safetensors(path: Path) -> bool:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt"):
            return True
    except Exception:
        return False


def pickled_files(root: Path) -> list[Path]:
    """Files that are (or hold) a pickle: by suffix, pickle protocol header, or a torch zip with a .pkl inside."""
    found = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        head = f.read_bytes()[:2]
        if f.suffix in PICKLE_SUFFIXES:
            found.append(f)
        elif head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05") and not _is_safetensors(f):
            found.append(f)
        elif head == b"PK" and zipfile.is_zipfile(f):
            with zipfile.ZipFile(f) as z:
                if any(n.endswith(".pkl") for n in z.namelist()):
                    found.append(f)
    return found


@pytest.mark.slow
def test_no_pickles_in_data_and_trainer_state_only_in_checkpoints(cli_built):
    project, _, _, proc = cli_built
    assert proc.returncode == 0
    assert (project.stage_dir("tiny", "dpo_v3") / "adapter_model.safetensors").is_file()
    assert not pickled_files(project.data), pickled_files(project.data)
    for f in pickled_files(project.saves):
        rel = f.relative_to(project.saves)  # <profile>/<stage>.work/checkpoint-N/<file>
        in_checkpoint = (
            len(rel.parts) == 4 and rel.parts[1].endswith(".work") and rel.parts[2].startswith("checkpoint-")
        )
        assert in_checkpoint and f.name in TRAINER_STATE, f"pickle outside trainer state: {rel}"
    # and transformers reads checkpoint state back with the restricted unpickler only
    import transformers.trainer as trainer

    loads = [n for n, name in _calls(ast.parse(Path(trainer.__file__).read_text())) if name == "torch.load"]
    unsafe = [n.lineno for n in loads if not any(k.arg == "weights_only" and _is_true(k.value) for k in n.keywords)]
    assert loads and not unsafe, f"transformers/trainer.py torch.load without weights_only=True at lines {unsafe}"


@pytest.mark.slow
def test_finished_models_under_saves_hold_no_pickle(cli_built):
    project, _, _, proc = cli_built
    assert proc.returncode == 0
    finished = [project.base_model_dir("tiny")] + [project.stage_dir("tiny", s) for s in ("sft", "dpo_v3")]
    assert not [f for d in finished for f in pickled_files(d)]
