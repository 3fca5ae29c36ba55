import pytest

from vgpt_dagster.datasets.config import DatasetsConfig, load_datasets_config
from vgpt_dagster.datasets.corpus import mine_sql_corpus
from vgpt_dagster.datasets.io import read_dataset
from vgpt_dagster.errors import ConfigError, DatasetError, MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths

from .conftest import FIXTURES


def test_corpus_keeps_fixable_queries_and_explains_the_rest(catalog, checker):
    examples, skipped = mine_sql_corpus(FIXTURES / "user_sql", catalog, checker)
    assert examples.height == 2  # NOLOCK added to the first; the second is already right
    assert all(checker.ok(s) for sqls in examples["sqls"].to_list() for s in sqls)
    assert "FROM APTH h WITH (NOLOCK)" in examples["sqls"][0][0]
    assert examples["instruction"][0] == "Write a Vista query: unpaid AP invoices for a company with their vendor."
    reasons = " ".join(skipped["reason"].to_list())
    assert skipped.height == 3
    assert "incomplete_join" in reasons and "unknown_object" in reasons and "parse_error" in reasons


def test_corpus_dir_missing(catalog, tmp_path):
    with pytest.raises(DatasetError, match="is not a folder"):
        mine_sql_corpus(tmp_path / "nope", catalog)


def test_repo_config_loads_and_enforces_sql_share(tmp_path):
    cfg = load_datasets_config(ProjectPaths.from_env().configs / "datasets.yaml")
    assert cfg.sft_size >= 100_000 and cfg.dpo_counts["real_table_acceptance"] == 800
    bad = tmp_path / "d.yaml"
    bad.write_text("sft_mix: {sql_generation: 0.1, schema_knowledge: 0.9}\n")
    with pytest.raises(ConfigError, match="sql_generation 10% of records; at least min_sql_generation_share=25%"):
        load_datasets_config(bad)
    bad.write_text("sft_sise: 10\n")
    with pytest.raises(ConfigError, match="unknown key 'sft_sise'. Did you mean one of 'sft_size'"):
        load_datasets_config(bad)
    with pytest.raises(Exception, match="give either 'file'"):
        DatasetsConfig(imports=[{"kind": "sft"}])


def test_read_dataset_errors(tmp_path, built):
    with pytest.raises(MissingUpstreamError, match="sft_dataset"):
        read_dataset(tmp_path, "sft")
    kto_dir = built["paths"].dataset_dir("kto")
    with pytest.raises(
        DatasetError, match=r"dpo_v3 needs id, category, instruction, input, prompt, chosen, rejected, phase"
    ):
        read_dataset(kto_dir, "dpo_v3")


def test_build_without_pairs_names_the_missing_files(catalog, cfg, tmp_path):
    from vgpt_dagster.datasets.build import build_sft_artifact

    with pytest.raises(MissingUpstreamError, match=r"fake_table_pairs.parquet[\s\S]*--select 'fake_real_table_pairs'"):
        build_sft_artifact(catalog, cfg, ProjectPaths(tmp_path))


def test_cli_build_all_small(tmp_path, monkeypatch, capsys):
    from vgpt_dagster.cli import main

    real = ProjectPaths.from_env()
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "datasets.yaml").write_text("scale: 0.005\nkto_size: 4000\n")
    (tmp_path / "configs" / "intents").symlink_to(real.configs / "intents")
    (tmp_path / "data" / "embedded").mkdir(parents=True)
    (tmp_path / "data" / "embedded" / "vista6x").symlink_to(real.embedded_schema)
    monkeypatch.setenv("VGPT_ROOT", str(tmp_path))
    assert main(["data", "build", "all"]) == 0
    out = capsys.readouterr().out
    assert "sft_dataset" in out and "llamafactory_export" in out and "FAILED" not in out
    assert (tmp_path / "data" / "llamafactory" / "dataset_info.json").exists()


def test_build_all_stops_after_a_failed_blocking_audit_and_the_export_refuses(tmp_path, monkeypatch, capsys):
    from vgpt_dagster.cli import main
    from vgpt_dagster.datasets.build import build_llamafactory_artifact

    real = ProjectPaths.from_env()
    (tmp_path / "configs").mkdir()
    strict = "scale: 0.005\nkto_size: 4000\nmin_core_object_share: 0.99\n"  # no build reaches 99% core objects
    (tmp_path / "configs" / "datasets.yaml").write_text(strict)
    (tmp_path / "configs" / "intents").symlink_to(real.configs / "intents")
    (tmp_path / "data" / "embedded").mkdir(parents=True)
    (tmp_path / "data" / "embedded" / "vista6x").symlink_to(real.embedded_schema)
    monkeypatch.setenv("VGPT_ROOT", str(tmp_path))
    assert main(["data", "build", "all"]) == 1
    out = capsys.readouterr().out
    assert "FAILED AUDITS: sft_core_object_share" in out
    assert "stopped: sft_dataset failed blocking audits; skipped dpo_v3, kto, llamafactory" in out
    assert not (tmp_path / "data" / "datasets" / "dpo_v3").exists()
    paths = ProjectPaths(tmp_path)
    with pytest.raises(DatasetError, match=r"sft/manifest.json records failed blocking audits \(sft_core_object_share"):
        build_llamafactory_artifact(load_datasets_config(tmp_path / "configs" / "datasets.yaml"), paths)
