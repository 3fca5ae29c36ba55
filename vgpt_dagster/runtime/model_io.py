"""Load base models and adapters for training (safetensors only, never trust_remote_code), and save them relocatably."""

import json
import logging
from pathlib import Path

from vgpt_dagster.errors import TrainingError

log = logging.getLogger(__name__)

DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def load_base_model(base_dir: Path, profile, plan):
    """AutoModelForCausalLM from a local folder, in the plan's precision (4-bit when the profile asks)."""
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict = dict(dtype=getattr(torch, DTYPES[plan.precision]), use_safetensors=True, trust_remote_code=False)
    if profile.quantization == "4bit":
        if plan.device != "cuda":
            raise TrainingError(f"profile '{profile.name}' quantizes to 4 bit, which needs a CUDA GPU.")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise TrainingError("4-bit profiles need bitsandbytes: pip install 'vgpt-dagster[qlora]'.") from None
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=kwargs["dtype"],
            bnb_4bit_use_double_quant=True,
        )
    model = AutoModelForCausalLM.from_pretrained(base_dir, **kwargs)
    if profile.quantization == "4bit":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    return model


def load_trainable_adapter(base_model, adapter_dir: Path, base_dir: Path):
    """Continue training a saved LoRA adapter (DPO from SFT, KTO from DPO)."""
    from peft import PeftModel

    model = PeftModel.from_pretrained(base_model, adapter_dir, is_trainable=True)
    # the saved config holds a relocatable reference (e.g. ../base); point it at this machine's folder for saving
    model.peft_config["default"].base_model_name_or_path = str(base_dir)
    return model


def drop_reference_adapter(model) -> None:
    """TRL keeps a frozen copy of the init adapter named ``ref`` as the reference model; never save it."""
    peft_config = getattr(model, "peft_config", None)
    if peft_config and "ref" in peft_config:
        model.delete_adapter("ref")
        model.set_adapter("default")


def make_relocatable(adapter_dir: Path, base_ref: str) -> None:
    """Replace the absolute base-model path PEFT records with a machine-independent reference."""
    cfg_path = Path(adapter_dir) / "adapter_config.json"
    if not cfg_path.exists():
        return
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = base_ref
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")  # inside the atomic tmp folder


def adapter_is_complete(folder: Path, finetuning_type: str = "lora") -> bool:
    folder = Path(folder)
    if finetuning_type == "full":
        return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))
    return (folder / "adapter_config.json").is_file() and (folder / "adapter_model.safetensors").is_file()
