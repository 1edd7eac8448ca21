"""Export a fine-tune: the adapter merged into a standalone model directory, and optionally a GGUF for llama.cpp.

The merged directory loads with plain `transformers` (no peft) and serves behind vLLM or TGI. The GGUF is written
with the `gguf` package (it ships with the default model's package): the bundled GGUF's metadata and tokenizer are
copied and every weight is replaced by the merged one, in F32 or F16 (llama.cpp quantises it further with
`llama-quantize` if wanted).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError

logger = logging.getLogger(__name__)


def merge_adapter(base_model: str, adapter: Path, out_dir: Path) -> Path:
    """Base + LoRA merged and saved as safetensors with its tokenizer; written beside, then moved into place."""
    from peft import PeftModel

    from finetune.train import load_base

    if not (adapter / "adapter_config.json").is_file():
        raise CopilotError(f"no LoRA adapter in {adapter} (adapter_config.json missing)")
    model, tokenizer, _ = load_base(base_model, "cpu")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    merged.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    for extra in ("train_config.json", "training_log.json", "README.md"):
        if (adapter / extra).is_file():
            shutil.copy(adapter / extra, partial / f"adapter_{extra}")
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)
    return out_dir


def write_gguf(merged_dir: Path, template_gguf: Path, out_file: Path, f16: bool = True) -> Path:
    """A llama.cpp GGUF of the merged model, metadata and tokenizer copied from `template_gguf` (same base)."""
    import numpy as np
    import torch
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
    from safetensors.torch import load_file

    reader = GGUFReader(str(template_gguf))
    arch = str(bytes(reader.fields["general.architecture"].parts[-1]), "utf-8")
    if arch != "llama":
        raise CopilotError(f"GGUF export supports llama-architecture bases; {template_gguf} is {arch!r}")
    state = load_file(str(merged_dir / "model.safetensors"))
    heads = int(reader.fields["llama.attention.head_count"].parts[-1][0])
    kv_heads = int(reader.fields["llama.attention.head_count_kv"].parts[-1][0])
    writer = GGUFWriter(str(out_file), arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        _copy_field(writer, name, field, GGUFValueType)
    writer.add_file_type(1 if f16 else 0)
    for tensor in reader.tensors:
        weight = _merged_tensor(state, tensor.name, heads, kv_heads)
        array = weight.to(torch.float32).numpy()
        if f16 and array.ndim == 2:
            array = array.astype(np.float16)
        writer.add_tensor(tensor.name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_file


GGUF_NAMES = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
              "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
              "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}


def _merged_tensor(state: dict[str, Any], gguf_name: str, heads: int, kv_heads: int) -> Any:
    """The merged weight for a GGUF tensor name, with llama.cpp's q/k row permutation re-applied."""
    if gguf_name == "token_embd.weight":
        return state["model.embed_tokens.weight"]
    if gguf_name == "output_norm.weight":
        return state["model.norm.weight"]
    if gguf_name == "output.weight":
        return state.get("lm_head.weight", state["model.embed_tokens.weight"])
    _, layer, part, _ = gguf_name.split(".")
    weight = state[f"model.layers.{layer}.{GGUF_NAMES[part]}.weight"]
    if part == "attn_q":
        return _permute(weight, heads)
    if part == "attn_k":
        return _permute(weight, kv_heads)
    return weight


def _permute(weight: Any, heads: int) -> Any:
    """HF's rotary layout -> llama.cpp's (the inverse of what the GGUF loader undoes)."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def _copy_field(writer: Any, name: str, field: Any, value_type: Any) -> None:
    kind = field.types[0]
    if kind == value_type.ARRAY:
        inner = field.types[-1]
        if inner == value_type.STRING:
            values: list[Any] = [str(bytes(field.parts[i]), "utf-8") for i in field.data]
        else:
            values = [field.parts[i].tolist()[0] for i in field.data]
        writer.add_array(name, values)
    elif kind == value_type.STRING:
        writer.add_string(name, str(bytes(field.parts[-1]), "utf-8"))
    else:
        writer.add_key_value(name, field.parts[-1].tolist()[0], kind)
