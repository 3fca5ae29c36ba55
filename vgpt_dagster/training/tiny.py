"""The smoke-scale base model: a tiny Qwen2 causal LM with a BPE tokenizer trained on our corpus.

It exists so the whole pipeline (SFT -> DPO v3 -> KTO -> validation) runs end to end on a CPU in minutes.
After random init (fixed seed) it gets a short full-parameter causal-LM pretraining on the SFT train text
(``pretrain.py``; ``pretrain_steps: 0`` skips it), so the LoRA stages start from a model of the corpus'
language rather than noise. It learns surface patterns (ChatML turns, SQL shapes, Vista names); it is not a
useful SQL model.
The tokenizer uses Qwen2's own normalizer (NFC), split regex + ByteLevel pre-tokenizer and ByteLevel decoder,
because AutoTokenizer rebuilds any ``model_type: qwen2`` tokenizer as ``Qwen2Tokenizer`` from vocab + merges:
a different pre-tokenizer would silently change ids after a save/load round trip (checked below).
"""

import logging
from collections.abc import Iterable
from pathlib import Path

from vgpt_dagster.artifacts import atomic_dir, sha256_files, write_manifest
from vgpt_dagster.errors import TrainingError
from vgpt_dagster.training import report
from vgpt_dagster.training.pretrain import run_pretraining

log = logging.getLogger(__name__)

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END]
# Qwen2.5's ChatML template without the tool-calling branches (the datasets carry their own system prompt).
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
ROUND_TRIP_PROBES = (
    "SELECT APCo, Mth, APTrans FROM APTH WITH (NOLOCK) WHERE APCo = @APCo;",
    "  Leading spaces,\ttabs\nand newlines\r\n; ünïcödé — 'quotes' 1234567",
)


def train_tokenizer(corpus: Iterable[str], vocab_size: int, min_frequency: int = 2):
    """A Qwen2-compatible byte-level BPE ``tokenizers.Tokenizer`` trained on ``corpus``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE(unk_token=None, continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,  # ids 0, 1, 2
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte is encodable
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    return tok


def _wrap_tokenizer(tok):
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        unk_token=ENDOFTEXT,
        additional_special_tokens=[IM_START, IM_END],
        model_max_length=32768,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def check_round_trip(raw_tokenizer, folder: Path, texts: Iterable[str]) -> None:
    """AutoTokenizer.from_pretrained(folder) must give the same ids as the trained tokenizer, specials included."""
    from transformers import AutoTokenizer

    loaded = AutoTokenizer.from_pretrained(folder)
    probes = [*ROUND_TRIP_PROBES, *texts]
    chat = loaded.apply_chat_template(
        [{"role": "system", "content": "sys"}, {"role": "user", "content": "Describe APTL"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    probes.append(chat)
    for text in probes:
        want = raw_tokenizer.encode(text).ids
        got = loaded(text, add_special_tokens=False)["input_ids"]
        if want != got:
            raise TrainingError(f"tokenizer round trip changed ids for {text[:60]!r}: {want[:12]} != {got[:12]}")
        if loaded.decode(got) != raw_tokenizer.decode(want, skip_special_tokens=False):
            raise TrainingError(f"tokenizer round trip changed the decoded text of {text[:60]!r}")
    ids = loaded(chat, add_special_tokens=False)["input_ids"]
    if ids.count(loaded.convert_tokens_to_ids(IM_START)) != 3:
        raise TrainingError("ChatML markers are not single tokens after reloading the tokenizer")


def build_tiny_model(corpus: Iterable[str], out_dir: Path, profile, seed: int = 0) -> dict:
    """Train the tokenizer, random-init a Qwen2ForCausalLM (fixed seed), save both atomically to ``out_dir``.

    Returns facts for the asset metadata: parameter count, vocab size, architecture, file hash.
    """
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    arch = profile.tiny
    texts = [t for t in corpus if t and t.strip()]
    if not texts:
        raise TrainingError("the tiny model's tokenizer corpus is empty (no SFT text); build the sft_dataset first.")
    raw = train_tokenizer(texts, arch.vocab_size, arch.min_frequency)
    tokenizer = _wrap_tokenizer(raw)
    vocab = len(tokenizer)
    config = Qwen2Config(
        vocab_size=vocab,
        hidden_size=arch.hidden_size,
        intermediate_size=arch.intermediate_size,
        num_hidden_layers=arch.num_hidden_layers,
        num_attention_heads=arch.num_attention_heads,
        num_key_value_heads=arch.num_key_value_heads,
        max_position_embeddings=arch.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[config.eos_token_id, config.pad_token_id], pad_token_id=config.pad_token_id, do_sample=False
    )
    n_params = sum(p.numel() for p in model.parameters())
    pretraining = None
    if arch.pretrain_steps:
        pretraining = run_pretraining(model, tokenizer, texts, arch, seed)
        log.info(
            "tiny base pretraining: loss %.3f -> %.3f in %d steps (%d tokens, %.0f tokens/s)",
            pretraining["loss_first"],
            pretraining["loss_last"],
            pretraining["steps"],
            pretraining["tokens"],
            pretraining["tokens_per_second"] or 0,
        )
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        check_round_trip(raw, tmp, texts[:50])
        init = f"random init + {arch.pretrain_steps}-step pretraining on the SFT text" if pretraining else "random init"
        facts = {
            "kind": f"tiny (smoke-scale, {init})",
            "parameters": n_params,
            "vocab_size": vocab,
            "architecture": arch.model_dump(),
            "corpus_texts": len(texts),
            "seed": seed,
            "pretraining": pretraining,
            "weights_sha256": sha256_files(tmp.glob("*.safetensors")),
        }
        if pretraining:
            history = [{"step": s, "loss": loss} for s, loss in pretraining["loss_curve"]]
            report.plot_loss_curve(history, tmp / "loss_curve.png", f"{profile.name} base pretraining")
        report.write_base_card(tmp, profile=profile, facts=facts)
        write_manifest(tmp, **facts)
    log.info("built smoke-scale tiny model at %s: %.2fM parameters, vocab %d", out_dir, n_params / 1e6, vocab)
    return {**facts, "path": str(out_dir)}
