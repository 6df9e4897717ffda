#!/usr/bin/env python3
"""Builds real-sized Hugging Face repository layouts for bench/hf_ranges.sh.

Large files are sparse (a real header, then a hole of the real size), so the
layouts take almost no disk. Standard library only; nothing here is scanned
by modelvet at run time, it only generates inputs.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

MB = 1 << 20


def sparse(path, head, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)


def text(path, s):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(s)


def safetensors(path, size, n_tensors=200):
    """A safetensors file of about `size` bytes: n tensors sharing the data."""
    per = (size // n_tensors) // 4 * 4
    header = {"__metadata__": {"format": "pt"}}
    for i in range(n_tensors):
        header[f"model.layers.{i // 9}.w{i % 9}.weight"] = {
            "dtype": "F16", "shape": [per // 2], "data_offsets": [i * per, (i + 1) * per]}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    sparse(path, struct.pack("<Q", len(h)) + h, 8 + len(h) + per * n_tensors)


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path, size, n_vocab=32000):
    """A GGUF v3 file: llama metadata with a 32k-token vocabulary, a chat
    template, and tensor infos covering `size` bytes of data."""
    kv = []
    kv.append(gguf_str("general.architecture") + struct.pack("<I", 8) + gguf_str("llama"))
    kv.append(gguf_str("general.name") + struct.pack("<I", 8) + gguf_str("bench"))
    kv.append(gguf_str("llama.context_length") + struct.pack("<I", 4) + struct.pack("<I", 4096))
    tmpl = ("{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
            "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}")
    kv.append(gguf_str("tokenizer.chat_template") + struct.pack("<I", 8) + gguf_str(tmpl))
    toks = b"".join(gguf_str(f"tok{i}") for i in range(n_vocab))
    kv.append(gguf_str("tokenizer.ggml.tokens") + struct.pack("<I", 9) + struct.pack("<IQ", 8, n_vocab) + toks)
    n_t = 64
    per = (size // n_t) // 32 * 32
    infos = b""
    for i in range(n_t):
        infos += gguf_str(f"blk.{i}.weight") + struct.pack("<I", 1) + struct.pack("<Q", per // 4)
        infos += struct.pack("<I", 0) + struct.pack("<Q", i * per)
    head = b"GGUF" + struct.pack("<IQQ", 3, n_t, len(kv)) + b"".join(kv) + infos
    head += b"\0" * (-len(head) % 32)
    sparse(path, head, len(head) + per * n_t)


def torch_zip(path, data_size):
    """A PyTorch zip checkpoint: a small benign pickle and one storage of zeros (written, not sparse)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pkl = pickle.dumps(collections.OrderedDict(), protocol=2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            chunk = b"\0" * MB
            for _ in range(data_size // MB):
                f.write(chunk)


def main(root):
    cfg = json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]})
    tok = json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(2000)}}})

    d = f"{root}/llm-sharded"
    text(f"{d}/config.json", cfg)
    text(f"{d}/tokenizer.json", tok)
    text(f"{d}/generation_config.json", "{}")
    shards = 4
    index = {"metadata": {"total_size": 1536 * MB}, "weight_map": {}}
    for i in range(1, shards + 1):
        name = f"model-{i:05d}-of-{shards:05d}.safetensors"
        safetensors(f"{d}/{name}", 384 * MB)
        index["weight_map"][f"shard{i}"] = name
    text(f"{d}/model.safetensors.index.json", json.dumps(index))

    d = f"{root}/gguf-quants"
    text(f"{d}/README.md", "---\nlicense: apache-2.0\n---\n# bench\n")
    for name, size in [("Q4_K_M", 800), ("Q5_K_M", 950), ("Q8_0", 1400), ("F16", 2600)]:
        gguf(f"{d}/bench-{name}.gguf", size * MB)

    d = f"{root}/diffusers"
    text(f"{d}/model_index.json", json.dumps({"_class_name": "StableDiffusionPipeline"}))
    text(f"{d}/scheduler/scheduler_config.json", "{}")
    text(f"{d}/tokenizer/vocab.json", json.dumps({f"t{i}": i for i in range(2000)}))
    for comp, size in [("text_encoder/model", 492), ("unet/diffusion_pytorch_model", 3438),
                       ("vae/diffusion_pytorch_model", 335), ("safety_checker/model", 1216)]:
        text(f"{d}/{comp.split('/')[0]}/config.json", "{}")
        safetensors(f"{d}/{comp}.safetensors", size * MB)

    d = f"{root}/onnx-external"
    text(f"{d}/config.json", cfg)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "fixtures", "benign", "onnx", "external_beside.onnx"), "rb") as f:
        graph = f.read()
    os.makedirs(f"{d}/onnx", exist_ok=True)
    with open(f"{d}/onnx/model.onnx", "wb") as f:
        f.write(graph)
    sparse(f"{d}/onnx/model.onnx.data", b"", 2048 * MB)

    d = f"{root}/mixed-bin-safetensors"
    text(f"{d}/config.json", cfg)
    torch_zip(f"{d}/pytorch_model.bin", 256 * MB)
    safetensors(f"{d}/model.safetensors", 256 * MB)


if __name__ == "__main__":
    main(sys.argv[1])
