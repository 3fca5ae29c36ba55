"""Real TRL/PEFT training steps on a really tiny Qwen2: SFT -> DPO v3 -> KTO, saved adapters, resume."""

import json
import shutil

import pytest

from vgpt_dagster.artifacts import sha256_file
from vgpt_dagster.errors import DatasetError, TrainingError, ValidationError
from vgpt_dagster.training.recipe import load_recipe
from vgpt_dagster.training.run import run_stage
from vgpt_dagster_tests.support.projects import FAST

STAGES = ("sft", "dpo_v3", "kto")


def test_each_stage_trains_and_writes_a_complete_relocatable_adapter(trained):
    paths, results = trained
    for stage in STAGES:
        res, folder = results[stage], paths.stage_dir("micro", stage)
        assert res.steps > 0 and not res.resumed and res.device == "cpu" and res.precision == "fp32"
        assert res.train_loss_first is not None and res.eval_loss is not None and res.tokens_per_second > 0
        for name in (
            "adapter_config.json",
            "adapter_model.safetensors",
            "tokenizer.json",
            "recipe.yaml",
            "training_log.jsonl",
            "metrics.json",
            "README.md",
            "loss_curve.png",
            "manifest.json",
        ):
            assert (folder / name).is_file(), f"{stage}: {name} missing"
        assert not (folder / "ref").exists()
        cfg = json.loads((folder / "adapter_config.json").read_text())
        assert cfg["base_model_name_or_path"] == "../base"
        assert len((folder / "training_log.jsonl").read_text().splitlines()) >= res.steps
        card = (folder / "README.md").read_text()
        assert "Smoke-scale" in card and res.data_versions[f"{stage}/train.parquet"] in card
    assert results["sft"].train_loss_last < results["sft"].train_loss_first  # SFT learns the pattern
    assert {"rewards/margins", "rewards/accuracies"} <= set(results["dpo_v3"].rewards)
    assert "rewards/margins" in results["kto"].rewards


def test_saved_adapters_load_back_and_change_outputs(trained, micro_profile):
    import torch

    from vgpt_dagster.runtime.inference import load_for_inference

    paths, _ = trained
    logits = {}
    for stage in (None, *STAGES):
        model, tok = load_for_inference(paths, micro_profile, paths.stage_dir("micro", stage) if stage else None)
        enc = tok(["<|im_start|>user\nList APTH rows<|im_end|>\n<|im_start|>assistant\n"], return_tensors="pt")
        with torch.no_grad():
            logits[stage] = model(**enc).logits
    for a, b in ((None, "sft"), ("sft", "dpo_v3"), ("dpo_v3", "kto")):
        assert not torch.allclose(logits[a], logits[b], atol=1e-5), f"{b} did not change the outputs of {a}"


def test_batched_generation_equals_one_by_one(trained, micro_profile):
    from vgpt_dagster.runtime.inference import generate, generate_one_by_one, load_for_inference
    from vgpt_dagster_tests.support.synthetic import sft_rows

    paths, _ = trained
    model, tok = load_for_inference(paths, micro_profile, paths.stage_dir("micro", "sft"))
    convs = [r["prompt"] for r in sft_rows(7)] + [[{"role": "user", "content": "hi"}]]
    batched = generate(model, tok, convs, max_new_tokens=16, batch_size=3)
    assert batched == generate_one_by_one(model, tok, convs, max_new_tokens=16)
    assert any(a.startswith("SELECT") for a in batched), batched  # the SFT adapter learned the pattern


def test_corrupt_or_missing_adapter_is_an_error_not_a_base_fallback(trained, micro_profile, tmp_path):
    from vgpt_dagster.runtime.inference import describe_checkpoint, load_for_inference

    paths, _ = trained
    bad = tmp_path / "bad"
    shutil.copytree(paths.stage_dir("micro", "sft"), bad)
    (bad / "adapter_model.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(ValidationError, match="not a readable safetensors"):
        load_for_inference(paths, micro_profile, bad)
    (bad / "adapter_model.safetensors").unlink()
    with pytest.raises(ValidationError, match="missing: .*adapter_model.safetensors"):
        load_for_inference(paths, micro_profile, bad)
    desc = describe_checkpoint(paths, micro_profile, paths.stage_dir("micro", "kto"))
    assert len(desc["adapter_files"]["adapter_model.safetensors"]) == 64 and desc["base_model_sha256"]


def test_crash_resumes_from_checkpoint_and_keeps_previous_adapter(trained, micro_profile, cpu_plan):
    paths, _ = trained
    folder = paths.stage_dir("micro", "kto")
    before = sha256_file(folder / "adapter_model.safetensors")
    recipe = load_recipe("kto", paths, None, {**FAST, "seed": 7})

    def crash(row):
        if row.get("step") == 3 and "loss" in row:
            raise KeyboardInterrupt("simulated kill")

    with pytest.raises(KeyboardInterrupt):
        run_stage("kto", paths=paths, profile=micro_profile, recipe=recipe, device_plan=cpu_plan, progress=crash)
    assert sha256_file(folder / "adapter_model.safetensors") == before  # previous good adapter untouched
    assert (folder.with_name("kto.work") / "checkpoint-2").is_dir()
    res = run_stage("kto", paths=paths, profile=micro_profile, recipe=recipe, device_plan=cpu_plan)
    assert res.resumed and "checkpoint-2" in res.resume_reason and res.steps == FAST["max_steps"]
    # a changed recipe must not resume from checkpoints trained with the old one
    changed = load_recipe("kto", paths, None, {**FAST, "seed": 7, "learning_rate": 1e-2})
    res2 = run_stage("kto", paths=paths, profile=micro_profile, recipe=changed, device_plan=cpu_plan)
    assert not res2.resumed and "recipe changed" in res2.resume_reason


def test_dpo_without_sft_adapter_names_files_and_selection(built, micro_profile, cpu_plan, tmp_path):
    paths, _ = built
    recipe = load_recipe("dpo_v3", paths, None, FAST)
    with pytest.raises(TrainingError, match=r"(?s)sft_adapter.*--select '\*dpo_v3_adapter'") as err:
        run_stage(
            "dpo_v3",
            paths=paths,
            profile=micro_profile,
            recipe=recipe,
            device_plan=cpu_plan,
            init_adapter=tmp_path / "nope",
            out_dir=tmp_path / "dpo",
        )
    assert str(tmp_path / "nope" / "adapter_model.safetensors") in str(err.value)
    with pytest.raises(TrainingError, match=r"(?s)nodata.*train.parquet.*sft_dataset"):
        run_stage(
            "sft",
            paths=paths,
            profile=micro_profile,
            recipe=load_recipe("sft", paths, None, FAST),
            device_plan=cpu_plan,
            dataset_dir=tmp_path / "nodata",
            out_dir=tmp_path / "sft",
        )


def test_wrong_dataset_kind_is_a_clear_error(built):
    from vgpt_dagster.training.data import load_stage_data

    paths, _ = built
    recipe = load_recipe("dpo_v3", paths, None, FAST)
    with pytest.raises(
        DatasetError, match=r"kto/train.parquet has columns .*needs prompt, chosen, rejected.*\(is this a KTO set\?\)"
    ):
        load_stage_data("dpo_v3", paths.dataset_dir("kto"), recipe)


def test_dpo_curriculum_puts_hallucination_pairs_first(built):
    from vgpt_dagster.training.data import load_stage_data

    paths, _ = built
    data = load_stage_data("dpo_v3", paths.dataset_dir("dpo_v3"), load_recipe("dpo_v3", paths, None, FAST))
    n_hall = data.phase_counts["hallucination"]
    assert n_hall and data.phase_counts["style"]
    firsts = [row["chosen"][0]["content"] for row in data.train]
    assert all(c.startswith("No,") for c in firsts[:n_hall]) and not any(c.startswith("No,") for c in firsts[n_hall:])


def test_the_final_evaluation_is_not_run_twice(built, micro_profile, cpu_plan, tmp_path):
    """eval_steps dividing max_steps: the trainer's evaluation at the last step is the stage's eval loss."""
    paths, _ = built
    extra = dict(max_steps=4, eval_steps=2, save_steps=2, early_stopping_patience=None)
    recipe = load_recipe("sft", paths, None, {**FAST, **extra})
    res = run_stage(
        "sft", paths=paths, profile=micro_profile, recipe=recipe, device_plan=cpu_plan, out_dir=tmp_path / "sft"
    )
    rows = [json.loads(x) for x in (tmp_path / "sft" / "training_log.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval_loss" in r]
    assert [r["step"] for r in evals] == [2, 4] and res.eval_loss == evals[-1]["eval_loss"]
