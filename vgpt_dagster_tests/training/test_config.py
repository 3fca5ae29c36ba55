"""Profiles, recipes and device planning: pure, fast, no torch."""

import pytest

from vgpt_dagster.errors import ConfigError, TrainingError
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.runtime.device import CudaFacts, DevicePlan, DeviceRequest, launch_command, launch_env, plan_device
from vgpt_dagster.runtime.profiles import available_profiles, load_profile, resolve_base_model
from vgpt_dagster.training.kto_balance import check_kto_balance, resolve_kto_weights
from vgpt_dagster.training.recipe import StageRecipe, load_recipe, parse_overrides

PATHS = ProjectPaths(PACKAGE_ROOT)
A6000 = CudaFacts(True, "NVIDIA RTX A6000", 47.5, True, 2)


@pytest.mark.parametrize("stage", ["sft", "dpo_v3", "kto"])
def test_a_recipe_for_another_trainer_is_refused(stage):
    """A stage YAML whose `stage:` names another TRL trainer is an error naming the expected one."""
    other = {"sft": "dpo", "dpo_v3": "kto", "kto": "sft"}[stage]
    with pytest.raises(ConfigError, match=rf"stage '{other}' does not match {stage} \(expected '"):
        load_recipe(stage, PATHS, None, {"stage": other})


def test_profile_values_match_the_seeds_setup():
    p = load_profile("qwen2.5-7b-lora", PATHS)
    r = load_recipe("dpo_v3", PATHS, p)
    assert (r.lora_rank, r.lora_alpha, r.lora_target, r.cutoff_len, r.learning_rate) == (256, 512, "all", 4096, 5e-6)
    assert r.gradient_checkpointing and r.dataloader_num_workers == 8 and r.pref_ftx > 0 and r.curriculum
    assert load_recipe("kto", PATHS, p).learning_rate <= 5e-6
    assert set(available_profiles(PATHS)) >= {"tiny", "qwen2.5-7b-lora", "qwen2.5-7b-full", "qwen2.5-32b-qlora"}


def test_unknown_profile_lists_available_with_did_you_mean():
    with pytest.raises(ConfigError, match=r"unknown model profile 'tiney'. Did you mean 'tiny'\?.*qwen2.5-7b-lora"):
        load_profile("tiney", PATHS)


def test_unknown_recipe_key_names_key_and_valid_keys():
    with pytest.raises(
        ConfigError, match=r"unknown key 'lora_rnk'. Did you mean .*'lora_rank'.*Valid keys: .*pref_beta"
    ):
        load_recipe("sft", PATHS, None, {"lora_rnk": 8})


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError, match=r"key 'learning_rate'.*got 'fast'"):
        load_recipe("sft", PATHS, None, {"learning_rate": "fast"})


def test_kto_batch_of_one_is_rejected():
    with pytest.raises(ConfigError, match=r"stage3_kto.yaml.*KTO needs per_device_train_batch_size > 1.*got 1\.$"):
        load_recipe("kto", PATHS, None, {"per_device_train_batch_size": 1})


def test_kto_explicit_weights_must_give_a_ratio_between_1_and_4_3():
    r = StageRecipe(stage="kto", per_device_train_batch_size=4, kto_desirable_weight=1.0)
    assert check_kto_balance(r, 100, 100, "kto") == 1.0
    with pytest.raises(TrainingError, match=r"ratio is 3.0 .*between 1:1 and 4:3.*auto.*kto_desirable_weight: 0.383"):
        check_kto_balance(r, 15, 5, "data/datasets/kto")
    with pytest.raises(TrainingError, match=r"ratio is 0.5"):
        check_kto_balance(r, 50, 100, "kto")
    # the integration case: 1.15 on a 60/40 set sampled down to 11:5
    with pytest.raises(TrainingError, match=r"ratio is 2.53 \(1.15 x 11 : 1.0 x 5\)"):
        check_kto_balance(r.model_copy(update={"kto_desirable_weight": 1.15}), 11, 5, "kto")
    fixed = StageRecipe(stage="kto", per_device_train_batch_size=4, kto_desirable_weight=0.383)
    assert 1 <= check_kto_balance(fixed, 15, 5, "kto") <= 4 / 3
    with pytest.raises(TrainingError, match=r"both desirable and undesirable rows.*got 16 desirable / 0"):
        check_kto_balance(fixed, 16, 0, "kto")


@pytest.mark.parametrize("counts", [(11, 5), (1768, 1178), (5, 11), (100, 100), (3, 40)])
@pytest.mark.parametrize("weights", [("auto", 1.0), (1.0, "auto"), ("auto", "auto"), ("auto", 2.0)])
def test_kto_auto_weights_hit_the_target_ratio(counts, weights):
    r = load_recipe("kto", PATHS, None, {"kto_desirable_weight": weights[0], "kto_undesirable_weight": weights[1]})
    w = resolve_kto_weights(r, *counts, "kto")
    assert w.auto and w.ratio == pytest.approx(r.kto_target_ratio, abs=1e-4)
    assert w.desirable * counts[0] / (w.undesirable * counts[1]) == pytest.approx(1.15, rel=1e-5)
    for given, used in zip(weights, (w.desirable, w.undesirable), strict=True):
        assert given == "auto" or used == given  # an explicit weight is kept
    if weights == ("auto", "auto"):
        assert min(w.desirable, w.undesirable) == 1.0  # the minority class is weighted up, the other stays 1
    meta = w.metadata()
    assert meta["rows_desirable"] == counts[0] and meta["kto_weighted_ratio"] == w.ratio


def test_kto_target_ratio_and_weight_values_are_validated():
    assert load_recipe("kto", PATHS).kto_desirable_weight == "auto"  # the shipped default
    with pytest.raises(ConfigError, match=r"kto_target_ratio must lie in \[1, 4/3\].*got 1.5"):
        load_recipe("kto", PATHS, None, {"kto_target_ratio": 1.5})
    with pytest.raises(ConfigError, match=r"key 'kto_desirable_weight'.*'atuo'"):
        load_recipe("kto", PATHS, None, {"kto_desirable_weight": "atuo"})
    assert load_recipe("kto", PATHS, None, parse_overrides(["kto_desirable_weight=0.8"])).kto_desirable_weight == 0.8


def test_stage_mismatch_and_run_override_parsing():
    with pytest.raises(ConfigError, match="stage 'kto' does not match sft"):
        load_recipe("sft", PATHS, None, {"stage": "kto"})
    with pytest.raises(ConfigError, match="not key=value"):
        parse_overrides(["learning_rate"])
    assert load_recipe("sft", PATHS, None, parse_overrides(["learning_rate=1e-4"])).learning_rate == 1e-4


def test_trl_and_lora_mapping_uses_this_trl_s_field_names():
    from vgpt_dagster.training.recipe import to_lora_config, to_trl_config

    plan = plan_device(DeviceRequest(), CudaFacts(False))
    dpo = to_trl_config(load_recipe("dpo_v3", PATHS), plan, PACKAGE_ROOT / "saves" / "x", has_eval=True)
    assert dpo.loss_type == ["sigmoid", "sft"] and dpo.loss_weights == [1.0, 0.2] and dpo.beta == 0.1
    assert dpo.train_sampling_strategy == "sequential" and dpo.use_cpu and not dpo.bf16 and dpo.load_best_model_at_end
    kto_recipe = load_recipe("kto", PATHS)
    with pytest.raises(TrainingError, match="class weights must be resolved"):
        to_trl_config(kto_recipe, plan, PACKAGE_ROOT / "saves" / "x", has_eval=False)
    weights = resolve_kto_weights(kto_recipe, 11, 5, "kto")
    kto = to_trl_config(kto_recipe, plan, PACKAGE_ROOT / "saves" / "x", has_eval=False, kto_weights=weights)
    assert kto.loss_type == "kto" and kto.eval_strategy == "no"
    assert (kto.desirable_weight, kto.undesirable_weight) == (weights.desirable, 1.0) == (0.522727, 1.0)
    assert to_lora_config(load_recipe("sft", PATHS)).target_modules == "all-linear"
    sft = load_recipe("sft", PATHS)
    out = PACKAGE_ROOT / "saves" / "x"
    assert to_trl_config(sft, plan, out, has_eval=False).train_sampling_strategy == "random"
    grouped = sft.model_copy(update={"group_by_length": True})
    assert to_trl_config(grouped, plan, out, has_eval=False).train_sampling_strategy == "group_by_length"


def test_device_auto_picks_cpu_without_gpu_and_cuda_with_one():
    cpu = plan_device(DeviceRequest(), CudaFacts(False))
    assert (cpu.device, cpu.precision, cpu.tf32, cpu.gpu_name) == ("cpu", "fp32", False, "cpu")
    gpu = plan_device(DeviceRequest(gpu_ids=[1], dataloader_num_workers=8), A6000)
    assert (gpu.device, gpu.precision, gpu.gpu_name, gpu.gpu_memory_gb) == ("cuda", "bf16", "NVIDIA RTX A6000", 47.5)
    assert gpu.recipe_overrides == {"dataloader_num_workers": 8}
    assert launch_env(gpu, {})["CUDA_VISIBLE_DEVICES"] == "1"


def test_device_requests_the_machine_cannot_meet_are_errors():
    with pytest.raises(TrainingError, match="device 'cuda' was requested but torch sees no CUDA GPU"):
        plan_device(DeviceRequest(device="cuda"), CudaFacts(False))
    with pytest.raises(TrainingError, match="precision 'bf16' needs a GPU"):
        plan_device(DeviceRequest(precision="bf16"), CudaFacts(False))
    with pytest.raises(TrainingError, match="does not support bf16"):
        plan_device(DeviceRequest(precision="bf16"), CudaFacts(True, "Tesla T4", 15.0, False, 1))
    with pytest.raises(TrainingError, match=r"gpu_ids \[3\] but only 2"):
        plan_device(DeviceRequest(gpu_ids=[3]), A6000)


def test_launch_command_python_and_accelerate():
    plan = plan_device(DeviceRequest(launcher="accelerate", gpu_ids=[0, 1]), A6000)
    assert launch_command(plan) == [
        "accelerate",
        "launch",
        "--num_processes",
        "2",
        "-m",
        "vgpt_dagster.training.pipes_entry",
    ]
    assert launch_command(DevicePlan("cpu", "fp32", False))[1:] == ["-m", "vgpt_dagster.training.pipes_entry"]


def test_pretrained_weights_missing_says_where_we_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("VGPT_MODEL_PATH", raising=False)
    p = load_profile("qwen2.5-7b-lora", PATHS)
    with pytest.raises(
        TrainingError, match=r"(?s)models--Qwen--Qwen2.5-7B-Instruct.*huggingface-cli download.*VGPT_MODEL_PATH"
    ):
        resolve_base_model(p, PATHS)
    snap = tmp_path / "hf" / "hub" / "models--Qwen--Qwen2.5-7B-Instruct" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (snap / "pytorch_model.bin").write_text("x")  # .bin weights are not accepted
    with pytest.raises(TrainingError, match="not found"):
        resolve_base_model(p, PATHS)
    (snap / "model.safetensors").write_text("x")
    assert resolve_base_model(p, PATHS) == snap


def test_tiny_base_missing_points_at_the_base_model_asset(tmp_path):
    with pytest.raises(TrainingError, match=r"(?s)not built yet.*vgpt train base --profile tiny.*--select base_model"):
        resolve_base_model(load_profile("tiny", PATHS), ProjectPaths(tmp_path))


def test_launcher_precedence_request_then_profile_and_the_built_command_and_deepspeed_args(tmp_path):
    """Profile launch settings apply unless the gpu resource / request sets its own (README: Several GPUs)."""
    from vgpt_dagster.runtime.profiles import deepspeed_config
    from vgpt_dagster.training.recipe import training_arguments

    full, lora = load_profile("qwen2.5-7b-full", PATHS), load_profile("qwen2.5-7b-lora", PATHS)
    plan = plan_device(DeviceRequest(device="cuda"), A6000, profile=full)  # the profile's accelerate x 2
    assert launch_command(plan)[:4] == ["accelerate", "launch", "--num_processes", "2"]
    one = plan_device(DeviceRequest(device="cuda", launcher="python", num_processes=1), A6000, profile=full)
    assert launch_command(one)[1:] == ["-m", "vgpt_dagster.training.pipes_entry"]  # the request wins
    assert launch_command(plan_device(DeviceRequest(device="cuda"), A6000, profile=lora))[1:2] == ["-m"]
    with pytest.raises(TrainingError, match="need device cuda"):  # 2 processes of a full 7B on the CPU: refused
        plan_device(DeviceRequest(device="cpu"), CudaFacts(False), profile=full)
    ds = deepspeed_config(full, PATHS)
    args = training_arguments(load_recipe("sft", PATHS, full), plan, tmp_path, True, ds)
    assert args["deepspeed"] == str(PATHS.configs / "deepspeed_zero3.json") and args["bf16"]
    assert deepspeed_config(lora, PATHS) is None
    assert "deepspeed" not in training_arguments(load_recipe("sft", PATHS, lora), plan, tmp_path, True)


def test_cpu_precision_follows_the_matmul_probe_and_is_recorded():
    from vgpt_dagster.runtime.device import CpuMatmulProbe

    cpu = CudaFacts(False)
    fast_bf16 = plan_device(DeviceRequest(device="cpu"), cpu, CpuMatmulProbe(181.0, 1071.0))
    slow_bf16 = plan_device(DeviceRequest(device="cpu"), cpu, CpuMatmulProbe(181.0, 150.0))
    assert (fast_bf16.precision, slow_bf16.precision) == ("bf16", "fp32")
    assert fast_bf16.describe()["cpu_probe"] == {"fp32_gflops": 181.0, "bf16_gflops": 1071.0}
    assert plan_device(DeviceRequest(device="cpu"), cpu).cpu_probe is None  # no probe asked: fp32, no record
    explicit = plan_device(DeviceRequest(device="cpu", precision="fp32"), cpu, CpuMatmulProbe(181.0, 1071.0))
    assert explicit.precision == "fp32" and explicit.cpu_probe is None
