"""Drives the real huggingface_hub (and transformers) against a running
modelvet gate; run by crates/server/tests/hf_client.rs with HF_ENDPOINT set to
the gate. Prints one JSON object with what it saw; the Rust test asserts.

    python hf_client.py PHASE FIXTURE_DIR
"""
import json
import os
import sys
import tempfile
import threading

phase, fixture_dir = sys.argv[1], sys.argv[2]
out = {}

import huggingface_hub  # noqa: E402
from huggingface_hub import hf_hub_download, list_repo_files, list_repo_tree, model_info, snapshot_download  # noqa: E402

out["huggingface_hub"] = huggingface_hub.__version__


def read(p):
    with open(p, "rb") as f:
        return f.read()


if phase == "hub":
    info = model_info("acme/tiny-bert")
    out["info"] = {"id": info.id, "sha": info.sha}
    out["files"] = sorted(list_repo_files("acme/tiny-bert"))
    out["tree"] = sorted(e.path for e in list_repo_tree("acme/tiny-bert", recursive=True))
    p = hf_hub_download("acme/tiny-bert", "config.json")
    out["config_same"] = read(p) == read(os.path.join(fixture_dir, "config.json"))
    d = snapshot_download("acme/tiny-bert")
    out["snapshot"] = sorted(os.listdir(d))
    out["snapshot_same"] = all(read(os.path.join(d, n)) == read(os.path.join(fixture_dir, n)) for n in out["snapshot"])
    try:
        hf_hub_download("acme/evil", "pytorch_model.bin")
        out["evil"] = None
    except Exception as e:  # the client's own exception type and text
        out["evil"] = {"type": type(e).__name__, "text": str(e)}
    try:
        hf_hub_download("acme/tiny-bert", "no_such_file.json")
        out["absent"] = None
    except Exception as e:
        out["absent"] = {"type": type(e).__name__}

elif phase == "concurrent":
    results = []

    def fetch():
        with tempfile.TemporaryDirectory() as cache:
            try:
                p = hf_hub_download("acme/concurrent", "model.safetensors", cache_dir=cache)
                results.append(len(read(p)))
            except Exception as e:
                results.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out["sizes"] = results

elif phase == "token":
    # HF_TOKEN holds a gate token; the gate refuses anonymous requests.
    out["info"] = model_info("acme/tiny-bert").id
    p = hf_hub_download("acme/tiny-bert", "config.json")
    out["config_same"] = read(p) == read(os.path.join(fixture_dir, "config.json"))
    d = snapshot_download("acme/tiny-bert")
    out["snapshot"] = sorted(os.listdir(d))
    for key, token in [("anonymous", False), ("wrong", "mvg_" + "0" * 64)]:
        with tempfile.TemporaryDirectory() as cache:
            try:
                hf_hub_download("acme/tiny-bert", "tokenizer.json", token=token, cache_dir=cache)
                out[key] = None
            except Exception as e:
                out[key] = {"type": type(e).__name__, "text": str(e)}
        try:
            model_info("acme/tiny-bert", token=token)
            out[key + "_info"] = None
        except Exception as e:
            out[key + "_info"] = {"type": type(e).__name__, "text": str(e)}

elif phase == "transformers":
    import torch
    import transformers
    from transformers import AutoConfig, AutoModel, AutoTokenizer, pipeline

    out["transformers"] = transformers.__version__
    cfg = AutoConfig.from_pretrained("acme/tiny-bert")
    out["model_type"] = cfg.model_type
    tok = AutoTokenizer.from_pretrained("acme/tiny-bert")
    model = AutoModel.from_pretrained("acme/tiny-bert")
    with torch.no_grad():
        hidden = model(**tok("hello world", return_tensors="pt")).last_hidden_state
    out["hidden_shape"] = list(hidden.shape)
    features = pipeline("feature-extraction", model="acme/tiny-bert")("model gate")
    out["pipeline_tokens"] = len(features[0])
    try:
        AutoModel.from_pretrained("acme/evil")
        out["evil"] = None
    except Exception as e:
        out["evil"] = {"type": type(e).__name__, "text": str(e)}

print(json.dumps(out))
