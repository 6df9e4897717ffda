#!/usr/bin/env python3
"""Write benign model files with the real frameworks, default settings.

    /opt/mv-sweep-venv/bin/python bench/sweep/generate.py [--out DIR] [--only FAMILY ...]

Every generator runs the library's own save function on a small model fitted
or built here with fixed seeds. Nothing malicious is written: every file is
what a user of that library gets in ordinary use, so every one of them should
pass a scanner. Output (default /tmp/mv-sweep/generated):

    DIR/<family>/...          the files and folders
    DIR/targets.tsv           one scan target a line: path, format, family, what
    DIR/failures.tsv          generators or items that failed (library missing, ...)

A target is a file, or a folder that a library writes as one model
(Hugging Face `save_pretrained`, spaCy `to_disk`, TensorFlow SavedModel).
"""

import argparse
import io
import os
import pickle
import random
import sys
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repo for sweepnets

warnings.filterwarnings("ignore")
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_DISABLED", "true")
os.environ.setdefault("OMP_NUM_THREADS", "1")

OUT = None
RECORDS = []  # (relpath, format, family, what)
FAILURES = []  # (family, item, error)
GENERATORS = {}

PICKLE_PROTOCOLS = (2, 3, 4, 5)
JOBLIB_COMPRESSIONS = ("none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4")


def seed_all(seed=0):
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass


def generator(family):
    def deco(fn):
        GENERATORS[family] = fn
        return fn

    return deco


def path(family, name):
    p = os.path.join(OUT, family, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def emit(family, name, fmt, what=""):
    p = os.path.join(OUT, family, name)
    if not os.path.exists(p):
        raise FileNotFoundError(p)
    RECORDS.append((os.path.relpath(p, OUT), fmt, family, what))


def attempt(family, item, fn, *args, **kwargs):
    """Run one item; record a failure instead of stopping the generator."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - a failing item is recorded, not fatal
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")[:300]
        FAILURES.append((family, item, msg))
        return None


def dump_pickles(family, stem, obj, what, protocols=PICKLE_PROTOCOLS, fmt="pickle"):
    for proto in protocols:
        name = f"{stem}.p{proto}.pkl"
        try:
            with open(path(family, name), "wb") as f:
                pickle.dump(obj, f, protocol=proto)
        except Exception:
            os.remove(path(family, name))  # no half-written file in the corpus
            raise
        emit(family, name, fmt, f"{what} pickle protocol {proto}")


def dump_joblib(family, stem, obj, what, compressions=JOBLIB_COMPRESSIONS):
    import joblib

    for comp in compressions:
        name = f"{stem}.{comp}.joblib"
        if comp == "none":
            joblib.dump(obj, path(family, name))
        else:
            try:
                joblib.dump(obj, path(family, name), compress=(comp, 3))
            except ValueError as e:  # lz4 not installed
                FAILURES.append((family, f"{stem} joblib {comp}", str(e)[:200]))
                continue
        emit(family, name, "joblib", f"{what} joblib compress={comp}")


# ---------------------------------------------------------------- scikit-learn


def toy_data():
    import numpy as np

    rng = np.random.RandomState(0)
    X = np.abs(rng.randn(60, 4)) + 0.1
    y = np.arange(60) % 3
    yr = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.randn(60)
    return X, y, yr


def fit_estimator(name, Est, kind):
    import numpy as np
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    X, y, yr = toy_data()
    if kind == "regressor":
        base = LinearRegression()
        pair = [("a", LinearRegression()), ("b", DecisionTreeRegressor(random_state=0))]
    else:
        base = LogisticRegression()
        pair = [("a", LogisticRegression()), ("b", DecisionTreeClassifier(random_state=0))]
    tries = [{}, {"estimator": base}, {"estimators": pair}, {"base_estimator": base}]
    est = None
    for kw in tries:
        try:
            est = Est(**kw)
            break
        except TypeError:
            continue
    if est is None:
        raise TypeError("no constructor worked")
    try:
        if "random_state" in est.get_params():
            est.set_params(random_state=0)
    except Exception:  # noqa: BLE001
        pass
    texts = ["the cat sat", "a dog ran fast", "the dog sat", "cats and dogs", "a cat ran"] * 4
    ytext = np.arange(len(texts)) % 2
    if kind == "regressor":
        inputs = [(X, yr), (X, np.c_[yr, yr])]
    elif kind == "classifier":
        inputs = [(X, y), (X, np.c_[y % 2, (y + 1) % 2])]
    else:
        inputs = [(X, y), (X,), (texts, ytext), (texts,), ([{"a": 1, "b": 2}, {"a": 3}],), (y,), ([[1, 2], [3]],),
                  ([["a", "b"], ["b"]],)]
    last = None
    for args in inputs:
        try:
            est.fit(*args)
            return est
        except Exception as e:  # noqa: BLE001
            last = e
    raise last


@generator("sklearn")
def gen_sklearn():
    from sklearn.utils import all_estimators

    fam = "sklearn"
    for kind in ("classifier", "regressor", "cluster", "transformer"):
        for name, Est in all_estimators(type_filter=kind):
            seed_all()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = attempt(fam, f"{kind}:{name}", fit_estimator, name, Est, kind)
            if est is None:
                continue
            stem = f"{kind}/{name}"
            attempt(fam, f"{stem} pickle", dump_pickles, fam, stem, est, f"sklearn {name}")
            attempt(fam, f"{stem} joblib", dump_joblib, fam, stem, est, f"sklearn {name}")


@generator("sklearn-extra")
def gen_sklearn_extra():
    import numpy as np
    import pandas as pd
    import scipy.stats as st
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    fam = "sklearn-extra"
    X, y, yr = toy_data()
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": np.array(["x", "y", "z"])[y]})
    items = {
        "pipe_log1p": lambda: make_pipeline(FunctionTransformer(np.log1p), LogisticRegression()).fit(X, y),
        "pipe_sqrt_exp": lambda: make_pipeline(FunctionTransformer(np.sqrt, inverse_func=np.square),
                                               StandardScaler(), LogisticRegression()).fit(X, y),
        "pipe_np_functions": lambda: make_pipeline(FunctionTransformer(np.abs), FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 5}),
                                                   LinearRegression()).fit(X, yr),
        "ttr_log1p": lambda: TransformedTargetRegressor(LinearRegression(), func=np.log1p, inverse_func=np.expm1).fit(X, np.abs(yr)),
        "hgb_clf": lambda: HistGradientBoostingClassifier(random_state=0).fit(X, y),
        "hgb_reg": lambda: HistGradientBoostingRegressor(random_state=0).fit(X, yr),
        "hgb_clf_default_rs": lambda: HistGradientBoostingClassifier().fit(X, y),
        "hgb_early_stop": lambda: HistGradientBoostingClassifier(early_stopping=True, validation_fraction=0.2, max_iter=20).fit(
            np.tile(X, (20, 1)), np.tile(y, 20)),
        "column_transformer": lambda: make_pipeline(
            ColumnTransformer([("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["c"])]),
            LogisticRegression()).fit(df, y),
        "gridsearch": lambda: GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X, y),
        "randomsearch_scipy": lambda: RandomizedSearchCV(RandomForestClassifier(n_estimators=5, random_state=0),
                                                         {"max_depth": st.randint(1, 5), "min_samples_split": st.uniform(0.1, 0.5)},
                                                         n_iter=3, cv=3, random_state=0).fit(X, y),
        "calibrated": lambda: CalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, y),
        "rng_seedsequence_forest": lambda: RandomForestClassifier(n_estimators=3, random_state=np.random.RandomState(0)).fit(X, y),
        "rng_generator": lambda: {"rng": np.random.default_rng(0), "model": LogisticRegression().fit(X, y)},
    }
    for stem, make in items.items():
        seed_all()
        obj = attempt(fam, stem, make)
        if obj is None:
            continue
        attempt(fam, f"{stem} pickle", dump_pickles, fam, stem, obj, f"sklearn {stem}")
        attempt(fam, f"{stem} joblib", dump_joblib, fam, stem, obj, f"sklearn {stem}")
        try:
            import cloudpickle

            name = f"{stem}.cloudpickle.pkl"
            with open(path(fam, name), "wb") as f:
                cloudpickle.dump(obj, f)
            emit(fam, name, "pickle", f"sklearn {stem} cloudpickle")
        except Exception as e:  # noqa: BLE001
            FAILURES.append((fam, f"{stem} cloudpickle", repr(e)[:200]))
        try:
            import dill

            name = f"{stem}.dill.pkl"
            with open(path(fam, name), "wb") as f:
                dill.dump(obj, f)
            emit(fam, name, "pickle", f"sklearn {stem} dill")
        except Exception as e:  # noqa: BLE001
            FAILURES.append((fam, f"{stem} dill", repr(e)[:200]))


# ---------------------------------------------------------------- NumPy / SciPy / pandas


@generator("numpy")
def gen_numpy():
    import numpy as np

    fam = "numpy"
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((8, 4)).astype(np.float32),
        "f64_fortran": np.asfortranarray(rng.standard_normal((5, 6))),
        "i64": np.arange(30).reshape(5, 6),
        "u8": np.arange(256, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "c128": np.array([1 + 2j, 3 - 4j]),
        "f16": np.ones(7, dtype=np.float16),
        "structured": np.array([(1, 2.0, b"ab"), (3, 4.0, b"cd")], dtype=[("i", "<i4"), ("f", "<f8"), ("s", "S2")]),
        "unicode": np.array(["alpha", "beta"]),
        "datetime": np.array(["2024-01-01", "2024-06-30"], dtype="datetime64[D]"),
        "timedelta": np.array([1, 2], dtype="timedelta64[s]"),
        "scalar0d": np.array(3.5),
        "empty": np.zeros((0, 3)),
        "bigendian": np.arange(10, dtype=">i4"),
    }
    for k, a in arrays.items():
        name = f"npy/{k}.npy"
        np.save(path(fam, name), a)
        emit(fam, name, "npy", f"np.save {k}")
    name = "npz/plain.npz"
    np.savez(path(fam, name), **{k: v for k, v in arrays.items()})
    emit(fam, name, "npz", "np.savez")
    name = "npz/compressed.npz"
    np.savez_compressed(path(fam, name), **{k: v for k, v in arrays.items()})
    emit(fam, name, "npz", "np.savez_compressed")
    name = "npz/positional.npz"
    np.savez(path(fam, name), arrays["f32"], arrays["i64"])
    emit(fam, name, "npz", "np.savez positional")

    objs = {
        "masked_array": lambda: np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
        "masked_structured": lambda: np.ma.masked_array(arrays["structured"], mask=[(0, 1, 0), (1, 0, 0)]),
        "matrix": lambda: np.matrix([[1, 2], [3, 4]]),
        "recarray": lambda: np.rec.array([(1, 2.0), (3, 4.0)], dtype=[("a", "i4"), ("b", "f8")]),
        "record_scalar": lambda: np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])[0],
        "scalars": lambda: [np.float64(1.5), np.int32(7), np.bool_(True), np.complex64(1j), np.str_("s"), np.datetime64("2024-01-01")],
        "dtypes": lambda: [np.dtype("f4"), np.dtype([("a", "i4"), ("b", "f8")]), np.dtype("M8[ns]")],
        "random_state": lambda: np.random.RandomState(0),
        "generator_pcg64": lambda: np.random.default_rng(0),
        "generator_mt19937": lambda: np.random.Generator(np.random.MT19937(0)),
        "generator_philox": lambda: np.random.Generator(np.random.Philox(0)),
        "seedsequence": lambda: np.random.SeedSequence(0),
        "poly1d": lambda: np.poly1d([1, 2, 3]),
        "dict_of_arrays": lambda: {k: v for k, v in arrays.items()},
        "finfo_iinfo": lambda: (np.finfo(np.float32), np.iinfo(np.int16)),
        "memmap_like_view": lambda: np.arange(10)[::2],
    }
    for k, make in objs.items():
        obj = attempt(fam, k, make)
        if obj is not None:
            attempt(fam, k, dump_pickles, fam, f"pickled/{k}", obj, f"numpy {k}")


@generator("scipy")
def gen_scipy():
    import numpy as np
    import scipy.sparse as sp
    import scipy.spatial as spatial
    import scipy.stats as st
    from scipy import interpolate

    fam = "scipy"
    rng = np.random.default_rng(0)
    dense = (rng.random((6, 5)) > 0.6) * 1.0
    objs = {
        "csr_matrix": lambda: sp.csr_matrix(dense),
        "csc_matrix": lambda: sp.csc_matrix(dense),
        "coo_matrix": lambda: sp.coo_matrix(dense),
        "lil_matrix": lambda: sp.lil_matrix(dense),
        "dok_matrix": lambda: sp.dok_matrix(dense),
        "csr_array": lambda: sp.csr_array(dense),
        "coo_array": lambda: sp.coo_array(dense),
        "frozen_norm": lambda: st.norm(0, 1),
        "frozen_randint": lambda: st.randint(1, 5),
        "frozen_gamma": lambda: st.gamma(2.0),
        "kdtree": lambda: spatial.KDTree(rng.random((20, 2))),
        "ckdtree": lambda: spatial.cKDTree(rng.random((20, 2))),
        "interp1d": lambda: interpolate.interp1d([0, 1, 2], [0, 1, 4]),
        "cubicspline": lambda: interpolate.CubicSpline([0, 1, 2, 3], [0, 1, 4, 9]),
        "rotation": lambda: __import__("scipy.spatial.transform", fromlist=["Rotation"]).Rotation.from_euler("z", 30, degrees=True),
        "gaussian_kde": lambda: st.gaussian_kde(rng.standard_normal(30)),
    }
    for k, make in objs.items():
        obj = attempt(fam, k, make)
        if obj is not None:
            attempt(fam, k, dump_pickles, fam, k, obj, f"scipy {k}")
    try:
        name = "npz/save_npz.npz"
        sp.save_npz(path(fam, name), sp.csr_matrix(dense))
        emit(fam, name, "npz", "scipy.sparse.save_npz")
    except Exception as e:  # noqa: BLE001
        FAILURES.append((fam, "save_npz", repr(e)[:200]))


@generator("pandas")
def gen_pandas():
    import numpy as np
    import pandas as pd

    fam = "pandas"
    n = 6
    frames = {
        "basic": lambda: pd.DataFrame({"a": range(n), "b": np.linspace(0, 1, n), "c": list("abcdef")}),
        "categorical": lambda: pd.DataFrame({"c": pd.Categorical(list("abcabc"))}),
        "datetime_tz": lambda: pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, tz="UTC")}),
        "period_interval": lambda: pd.DataFrame({"p": pd.period_range("2024-01", periods=n, freq="M"),
                                                 "i": pd.interval_range(0, n)}),
        "multiindex": lambda: pd.DataFrame({"v": range(n)}, index=pd.MultiIndex.from_product([["x", "y"], [1, 2, 3]])),
        "sparse": lambda: pd.DataFrame({"s": pd.arrays.SparseArray([0, 0, 1, 0, 2, 0])}),
        "string_dtype": lambda: pd.DataFrame({"s": pd.array(list("abcdef"), dtype="string")}),
        "nullable_int": lambda: pd.DataFrame({"i": pd.array([1, None, 3, 4, None, 6], dtype="Int64")}),
        "series": lambda: pd.Series(np.arange(n), name="s"),
        "timedelta": lambda: pd.Series(pd.to_timedelta(range(n), unit="s")),
        "timestamp_objects": lambda: [pd.Timestamp("2024-01-01"), pd.Timedelta("1D"), pd.Period("2024-01", "M"), pd.NaT],
        "index_types": lambda: [pd.RangeIndex(5), pd.Index([1.5, 2.5]), pd.CategoricalIndex(list("ab")), pd.DatetimeIndex(["2024-01-01"])],
    }
    for k, make in frames.items():
        obj = attempt(fam, k, make)
        if obj is None:
            continue
        attempt(fam, k, dump_pickles, fam, k, obj, f"pandas {k}")
        if hasattr(obj, "to_pickle"):
            for comp, ext in ((None, "pkl"), ("gzip", "pkl.gz"), ("bz2", "pkl.bz2"), ("xz", "pkl.xz"), ("zip", "pkl.zip"), ("zstd", "pkl.zst")):
                name = f"to_pickle/{k}.{ext}"
                fmt = {"pkl": "pickle", "pkl.gz": "gzip", "pkl.bz2": "bzip2", "pkl.xz": "xz", "pkl.zip": "zip", "pkl.zst": "zstd"}[ext]
                ok = attempt(fam, f"{k} to_pickle {comp}", lambda: obj.to_pickle(path(fam, name), compression=comp) or True)
                if ok:
                    emit(fam, name, fmt, f"pandas {k} to_pickle compression={comp}")


# ---------------------------------------------------------------- PyTorch


def torch_models():
    import torch
    from torch import nn

    import sweepnets

    seed_all()
    return {
        "mlp": sweepnets.TinyMLP(),
        "cnn": sweepnets.TinyCNN(),
        "lstm": sweepnets.TinyLSTM(),
        "sequential": nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2)),
        "transformer_encoder": nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2),
        "gru": nn.GRU(4, 8, 2),
        "conv_bn": nn.Sequential(nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4), nn.GELU(), nn.LayerNorm([4, 6])),
        "embedding_bag": nn.EmbeddingBag(10, 4, mode="mean"),
        "multihead_attention": nn.MultiheadAttention(8, 2),
        "moduledict": nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])}),
        "parameterdict": nn.ParameterDict({"w": nn.Parameter(torch.ones(3))}),
    }


def example_input(key):
    import torch

    if key in ("cnn",):
        return torch.randn(1, 3, 8, 8)
    if key == "lstm":
        return torch.randint(0, 20, (1, 5))
    if key == "transformer_encoder":
        return torch.randn(1, 5, 16)
    if key == "sequential":
        return torch.randn(2, 4)
    if key == "mlp":
        return torch.randn(2, 4)
    return None


def tsave(fam, name, obj, what, fmt="pytorch", **kw):
    import torch

    try:
        torch.save(obj, path(fam, name), **kw)
    except Exception:
        if os.path.exists(path(fam, name)):
            os.remove(path(fam, name))  # no half-written file in the corpus
        raise
    emit(fam, name, fmt, what)


@generator("torch")
def gen_torch():
    import argparse as ap
    import pathlib

    import torch
    from torch import nn

    fam = "torch"
    models = torch_models()
    for k, m in models.items():
        attempt(fam, f"{k} whole", tsave, fam, f"whole/{k}.pt", m, f"torch.save(model) {k}")
        attempt(fam, f"{k} state_dict", tsave, fam, f"state_dict/{k}.pth", m.state_dict(), f"state_dict {k}")
        attempt(fam, f"{k} legacy", tsave, fam, f"legacy/{k}.pt", m.state_dict(), f"legacy state_dict {k}",
                fmt="pytorch-legacy", _use_new_zipfile_serialization=False)
        attempt(fam, f"{k} legacy whole", tsave, fam, f"legacy/{k}.whole.pt", m, f"legacy whole {k}",
                fmt="pytorch-legacy", _use_new_zipfile_serialization=False)
        for proto in (2, 3, 4, 5):
            attempt(fam, f"{k} proto {proto}", tsave, fam, f"protocol/{k}.p{proto}.pt", m.state_dict(),
                    f"state_dict {k} pickle_protocol={proto}", pickle_protocol=proto)
        x = example_input(k)
        if x is not None:
            def script(m=m, k=k):
                s = torch.jit.script(m)
                name = f"script/{k}.pt"
                torch.jit.save(s, path(fam, name))
                emit(fam, name, "torchscript", f"torch.jit.script {k}")

            def trace(m=m, k=k, x=x):
                s = torch.jit.trace(m.eval(), x)
                name = f"trace/{k}.pt"
                torch.jit.save(s, path(fam, name))
                emit(fam, name, "torchscript", f"torch.jit.trace {k}")

            def export(m=m, k=k, x=x):
                ep = torch.export.export(m.eval(), (x,))
                name = f"export/{k}.pt2"
                torch.export.save(ep, path(fam, name))
                emit(fam, name, "pt2", f"torch.export.save {k}")

            attempt(fam, f"{k} script", script)
            attempt(fam, f"{k} trace", trace)
            attempt(fam, f"{k} export", export)

    # quantized
    def quantized():
        import torch.ao.quantization as q

        for k in ("mlp", "lstm", "sequential"):
            m = torch_models()[k].eval()
            qm = q.quantize_dynamic(m, {nn.Linear, nn.LSTM}, dtype=torch.qint8)
            tsave(fam, f"quantized/{k}.whole.pt", qm, f"dynamic quantized whole {k}")
            tsave(fam, f"quantized/{k}.state_dict.pt", qm.state_dict(), f"dynamic quantized state_dict {k}")
            try:
                s = torch.jit.script(qm)
                name = f"quantized/{k}.script.pt"
                torch.jit.save(s, path(fam, name))
                emit(fam, name, "torchscript", f"scripted dynamic quantized {k}")
            except Exception as e:  # noqa: BLE001
                FAILURES.append((fam, f"quantized script {k}", repr(e)[:200]))
        qt = torch.quantize_per_tensor(torch.randn(4, 4), 0.1, 0, torch.qint8)
        tsave(fam, "quantized/qtensor.pt", {"q": qt, "qc": torch.quantize_per_channel(torch.randn(3, 4), torch.tensor([0.1, 0.2, 0.3]),
                                                                                         torch.tensor([0, 0, 0]), 0, torch.quint8)},
              "quantized tensors")

    attempt(fam, "quantized", quantized)

    # static quantization (fx / eager) state dict
    def static_quant():
        import torch.ao.quantization as q

        class QNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.quant = q.QuantStub()
                self.fc = nn.Linear(4, 4)
                self.dequant = q.DeQuantStub()

            def forward(self, x):
                return self.dequant(self.fc(self.quant(x)))

        m = QNet().eval()
        m.qconfig = q.get_default_qconfig("fbgemm")
        q.prepare(m, inplace=True)
        m(torch.randn(8, 4))
        q.convert(m, inplace=True)
        tsave(fam, "quantized/static.state_dict.pt", m.state_dict(), "static quantized state_dict")

    attempt(fam, "static quant", static_quant)

    # pruned
    def pruned():
        import torch.nn.utils.prune as prune

        m = torch_models()["mlp"]
        prune.l1_unstructured(m.fc1, "weight", amount=0.5)
        prune.random_unstructured(m.fc2, "weight", amount=0.3)
        tsave(fam, "pruned/mlp.whole.pt", m, "pruned whole (hooks)")
        tsave(fam, "pruned/mlp.state_dict.pt", m.state_dict(), "pruned state_dict (weight_orig/mask)")
        prune.remove(m.fc1, "weight")
        tsave(fam, "pruned/mlp.removed.pt", m.state_dict(), "pruned then removed")

    attempt(fam, "pruned", pruned)

    # checkpoints as training scripts write them
    def checkpoints():
        m = torch_models()["mlp"]
        for oname, opt in (("adam", torch.optim.Adam(m.parameters(), lr=1e-3)), ("sgd", torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)),
                           ("adamw", torch.optim.AdamW(m.parameters()))):
            loss = m(torch.randn(4, 4)).sum()
            loss.backward()
            opt.step()
            sched = torch.optim.lr_scheduler.StepLR(opt, 10)
            ck = {"epoch": 3, "model_state_dict": m.state_dict(), "optimizer_state_dict": opt.state_dict(),
                  "scheduler": sched.state_dict(), "loss": loss.detach(), "best_acc": 0.91}
            tsave(fam, f"checkpoint/{oname}.ckpt", ck, f"training checkpoint {oname}")
        ns = ap.Namespace(lr=0.1, epochs=3, arch="mlp", data=pathlib.PosixPath("/data"))
        tsave(fam, "checkpoint/with_args.pt", {"args": ns, "state_dict": m.state_dict()}, "checkpoint with argparse.Namespace + pathlib")
        tsave(fam, "checkpoint/rng_state.pt", {"torch_rng": torch.get_rng_state(), "gen": torch.Generator().manual_seed(0).get_state()},
              "rng states")
        tsave(fam, "checkpoint/version.pt", {"torch_version": torch.__version__, "sd": m.state_dict()}, "checkpoint with TorchVersion")

    attempt(fam, "checkpoints", checkpoints)

    def tensors():
        t = {
            "dtypes": {str(d): torch.ones(3, dtype=d) for d in (torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int8,
                                                                 torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool,
                                                                 torch.complex64)},
            "sparse_coo": torch.eye(4).to_sparse(),
            "sparse_csr": torch.eye(4).to_sparse_csr(),
            "nested": torch.nested.nested_tensor([torch.ones(2), torch.ones(3)]),
            "meta": {"size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu"), "layout": torch.strided,
                     },
            "param": nn.Parameter(torch.randn(3)),
            "views": (lambda b: {"a": b, "view": b[1:3]})(torch.arange(10)),
            "fp8": {"e4m3": torch.ones(3).to(torch.float8_e4m3fn)},
        }
        for k, v in t.items():
            attempt(fam, f"tensors {k}", tsave, fam, f"tensors/{k}.pt", v, f"tensors {k}")

    attempt(fam, "tensors", tensors)

    def distributions():
        import torch.distributions as D

        d = {"normal": D.Normal(torch.zeros(2), torch.ones(2)), "categorical": D.Categorical(probs=torch.tensor([0.3, 0.7])),
             "mvn": D.MultivariateNormal(torch.zeros(2), torch.eye(2))}
        tsave(fam, "distributions/dists.pt", d, "torch.distributions objects")

    attempt(fam, "distributions", distributions)

    # project classes defined in __main__ (as when the model class lives in the training script)
    def main_classes():
        import sweepnets

        main = sys.modules["__main__"]
        for cls in (sweepnets.TinyMLP, sweepnets.TinyCNN):
            alias = type(cls.__name__, (cls,), {"__module__": "__main__"})
            setattr(main, cls.__name__, alias)
            m = alias()
            tsave(fam, f"main_class/{cls.__name__}.pt", m, f"__main__.{cls.__name__} whole")

    attempt(fam, "__main__ classes", main_classes)


@generator("torchvision")
def gen_torchvision():
    import torch
    import torchvision.models as tvm

    fam = "torchvision"
    for name in ("resnet18", "mobilenet_v3_small", "squeezenet1_0", "shufflenet_v2_x0_5", "efficientnet_b0",
                 "densenet121", "regnet_y_400mf", "convnext_tiny"):
        seed_all()
        m = attempt(fam, name, lambda: getattr(tvm, name)(weights=None))
        if m is None:
            continue
        attempt(fam, f"{name} state_dict", tsave, fam, f"state_dict/{name}.pth", m.state_dict(), f"torchvision {name} state_dict")
        attempt(fam, f"{name} whole", tsave, fam, f"whole/{name}.pt", m, f"torchvision {name} whole")
    # detection model with its transform objects
    m = attempt(fam, "fasterrcnn", lambda: __import__("torchvision.models.detection", fromlist=["x"]).fasterrcnn_mobilenet_v3_large_fpn(
        weights=None, weights_backbone=None))
    if m is not None:
        attempt(fam, "fasterrcnn whole", tsave, fam, "whole/fasterrcnn_mobilenet.pt", m, "torchvision detection whole")
    attempt(fam, "transforms", lambda: tsave(fam, "whole/transforms.pt",
                                             __import__("torchvision.transforms", fromlist=["x"]).Compose(
                                                 [__import__("torchvision.transforms", fromlist=["x"]).Resize(8),
                                                  __import__("torchvision.transforms", fromlist=["x"]).Normalize([0.5], [0.5])]),
                                             "torchvision transforms"))


@generator("timm")
def gen_timm():
    import timm

    fam = "timm"
    for name in ("resnet18", "efficientnet_b0", "vit_tiny_patch16_224", "convnext_atto", "mobilenetv3_small_050", "deit_tiny_patch16_224",
                 "regnetx_002", "levit_128s"):
        seed_all()
        m = attempt(fam, name, lambda: timm.create_model(name, pretrained=False))
        if m is None:
            continue
        attempt(fam, f"{name} state_dict", tsave, fam, f"state_dict/{name}.pth", m.state_dict(), f"timm {name} state_dict")
        attempt(fam, f"{name} whole", tsave, fam, f"whole/{name}.pt", m, f"timm {name} whole")

        def st(m=m, name=name):
            from safetensors.torch import save_file

            save_file({k: v.contiguous() for k, v in m.state_dict().items()}, path(fam, f"safetensors/{name}.safetensors"))
            emit(fam, f"safetensors/{name}.safetensors", "safetensors", f"timm {name} safetensors")

        attempt(fam, f"{name} safetensors", st)


# ---------------------------------------------------------------- safetensors / GGUF / ONNX


@generator("safetensors")
def gen_safetensors():
    import numpy as np
    import torch
    from safetensors.numpy import save_file as np_save
    from safetensors.torch import save_file as t_save

    fam = "safetensors"
    seed_all()
    sets = {
        "f32": {"w": torch.randn(4, 4), "b": torch.zeros(4)},
        "mixed_dtypes": {str(d).split(".")[1]: torch.ones(2, 2, dtype=d) for d in (torch.float16, torch.bfloat16, torch.int8, torch.bool,
                                                                                  torch.int64, torch.float64, torch.uint8)},
        "empty_tensor": {"e": torch.zeros(0, 3), "s": torch.tensor(1.0)},
        "many": {f"layer.{i}.weight": torch.randn(3) for i in range(200)},
    }
    for k, tensors in sets.items():
        attempt(fam, k, lambda: (t_save(tensors, path(fam, f"{k}.safetensors")), emit(fam, f"{k}.safetensors", "safetensors", k)))
        attempt(fam, k + " meta", lambda: (t_save(tensors, path(fam, f"{k}.meta.safetensors"), metadata={"format": "pt", "note": "x"}),
                                           emit(fam, f"{k}.meta.safetensors", "safetensors", k + " with metadata")))
    attempt(fam, "numpy", lambda: (np_save({"a": np.arange(6, dtype=np.float32)}, path(fam, "numpy.safetensors")),
                                   emit(fam, "numpy.safetensors", "safetensors", "safetensors.numpy")))


@generator("gguf")
def gen_gguf():
    import gguf
    import numpy as np

    fam = "gguf"
    rng = np.random.default_rng(0)

    def write(name, arch, tensors, extra=None, quant=None):
        p = path(fam, name)
        w = gguf.GGUFWriter(p, arch)
        w.add_name(name)
        w.add_context_length(128)
        w.add_embedding_length(16)
        w.add_block_count(2)
        w.add_head_count(2)
        w.add_file_type(1)
        if extra:
            extra(w)
        for tname, arr in tensors.items():
            if quant is not None and arr.ndim == 2 and arr.shape[-1] % 32 == 0:
                qa = gguf.quants.quantize(arr, quant)
                w.add_tensor(tname, qa, raw_dtype=quant)
            else:
                w.add_tensor(tname, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        emit(fam, name, "gguf", f"GGUFWriter {arch} {quant}")

    def tok(w):
        w.add_tokenizer_model("llama")
        w.add_token_list([f"t{i}" for i in range(32)])
        w.add_token_scores([float(-i) for i in range(32)])
        w.add_token_types([1] * 32)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")

    base = {"token_embd.weight": rng.standard_normal((32, 64)).astype(np.float32),
            "blk.0.attn_q.weight": rng.standard_normal((64, 64)).astype(np.float32),
            "output_norm.weight": np.ones(64, dtype=np.float32)}
    attempt(fam, "f32", write, "llama_f32.gguf", "llama", base, tok)
    attempt(fam, "f16", write, "llama_f16.gguf", "llama", {k: v.astype(np.float16) for k, v in base.items()}, tok)
    for qt in ("Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"):
        attempt(fam, qt, write, f"llama_{qt.lower()}.gguf", "llama", base, tok, getattr(gguf.GGMLQuantizationType, qt))
    attempt(fam, "gpt2", write, "gpt2.gguf", "gpt2", base, None)
    attempt(fam, "notok", write, "bare.gguf", "llama", {"w": np.zeros((4, 4), dtype=np.float32)}, None)

    def kv_types(w):
        w.add_string("general.description", "sweep")
        w.add_bool("sweep.flag", True)
        w.add_int8("sweep.i8", -1)
        w.add_uint64("sweep.u64", 2**40)
        w.add_float64("sweep.f64", 1.5)
        w.add_array("sweep.arr_str", ["a", "b"])
        w.add_array("sweep.arr_int", [1, 2, 3])

    attempt(fam, "kv", write, "kvtypes.gguf", "llama", base, kv_types)


@generator("onnx")
def gen_onnx():
    import numpy as np

    fam = "onnx"
    X, y, yr = toy_data()
    X = X.astype(np.float32)

    def skl():
        from skl2onnx import to_onnx
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA
        from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
        from sklearn.linear_model import LinearRegression, LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC
        from sklearn.tree import DecisionTreeClassifier

        models = {
            "logreg": LogisticRegression().fit(X, y),
            "linreg": LinearRegression().fit(X, yr),
            "rf_clf": RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
            "rf_reg": RandomForestRegressor(n_estimators=5, random_state=0).fit(X, yr),
            "gb_clf": GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y),
            "svc": SVC(probability=True, random_state=0).fit(X, y),
            "kmeans": KMeans(3, n_init=1, random_state=0).fit(X),
            "pca": PCA(2).fit(X),
            "knn": KNeighborsClassifier().fit(X, y),
            "tree": DecisionTreeClassifier(random_state=0).fit(X, y),
            "pipeline": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        }
        for k, m in models.items():
            def one(k=k, m=m):
                onx = to_onnx(m, X[:1])
                with open(path(fam, f"skl2onnx/{k}.onnx"), "wb") as f:
                    f.write(onx.SerializeToString())
                emit(fam, f"skl2onnx/{k}.onnx", "onnx", f"skl2onnx {k}")

            attempt(fam, f"skl2onnx {k}", one)

    attempt(fam, "skl2onnx", skl)

    def torch_export():
        import torch

        for k, m in torch_models().items():
            x = example_input(k)
            if x is None:
                continue
            for dynamo in (False, True):
                def one(k=k, m=m, x=x, dynamo=dynamo):
                    name = f"torch/{k}.{'dynamo' if dynamo else 'ts'}.onnx"
                    torch.onnx.export(m.eval(), (x,), path(fam, name), dynamo=dynamo)
                    emit(fam, name, "onnx", f"torch.onnx.export {k} dynamo={dynamo}")

                attempt(fam, f"torch.onnx {k} dynamo={dynamo}", one)

    attempt(fam, "torch.onnx", torch_export)

    def helper_models():
        import onnx
        from onnx import TensorProto, helper

        # control flow with subgraphs, tensor-valued attributes, external data
        cond_then = helper.make_graph([helper.make_node("Constant", [], ["t"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))],
                                      "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1])])
        cond_else = helper.make_graph([helper.make_node("Constant", [], ["e"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0]))],
                                      "else", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1])])
        g = helper.make_graph([helper.make_node("If", ["c"], ["o"], then_branch=cond_then, else_branch=cond_else)], "ifg",
                              [helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(m, path(fam, "helper/if_subgraph.onnx"))
        emit(fam, "helper/if_subgraph.onnx", "onnx", "onnx.helper If with subgraphs")
        big = helper.make_graph([helper.make_node("Identity", ["w"], ["o"])], "ext", [],
                                [helper.make_tensor_value_info("o", TensorProto.FLOAT, [256, 64])],
                                initializer=[onnx.numpy_helper.from_array(np.ones((256, 64), dtype=np.float32), "w")])
        mb = helper.make_model(big, opset_imports=[helper.make_opsetid("", 17)])
        os.makedirs(os.path.dirname(path(fam, "external/model.onnx")), exist_ok=True)
        onnx.save_model(mb, path(fam, "external/model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
        RECORDS.append((os.path.relpath(os.path.join(OUT, fam, "external"), OUT), "onnx-external-folder", fam, "onnx external data"))

    attempt(fam, "onnx helper", helper_models)


@generator("onnx-backend")
def gen_onnx_backend():
    """The ONNX project's own conformance models (node, simple, pytorch-*), written by its test-data generator."""
    import subprocess

    fam = "onnx-backend"
    d = os.path.join(OUT, fam)
    os.makedirs(d, exist_ok=True)
    r = subprocess.run([sys.executable, "-m", "onnx.backend.test.cmd_tools", "generate-data", "-o", d], capture_output=True, text=True)
    if r.returncode != 0:
        FAILURES.append((fam, "generate-data", r.stderr[-300:].replace("\n", " ")))
    for root, _, files in os.walk(d):
        for fn in sorted(files):
            if fn.endswith(".onnx"):
                emit(fam, os.path.relpath(os.path.join(root, fn), d), "onnx", "onnx.backend.test generate-data")


# ---------------------------------------------------------------- gradient boosting


@generator("boosting")
def gen_boosting():
    import joblib

    fam = "boosting"
    X, y, yr = toy_data()

    def xgb():
        import xgboost as xgbm

        for k, m in (("clf", xgbm.XGBClassifier(n_estimators=5, random_state=0).fit(X, y)),
                     ("reg", xgbm.XGBRegressor(n_estimators=5, random_state=0).fit(X, yr))):
            m.save_model(path(fam, f"xgboost/{k}.json"))
            emit(fam, f"xgboost/{k}.json", "xgboost-json", f"xgboost {k} save_model json")
            m.save_model(path(fam, f"xgboost/{k}.ubj"))
            emit(fam, f"xgboost/{k}.ubj", "xgboost-ubj", f"xgboost {k} save_model ubj")
            dump_pickles(fam, f"xgboost/{k}", m, f"xgboost {k}")
            joblib.dump(m, path(fam, f"xgboost/{k}.joblib"))
            emit(fam, f"xgboost/{k}.joblib", "joblib", f"xgboost {k} joblib")
            b = m.get_booster()
            dump_pickles(fam, f"xgboost/{k}.booster", b, f"xgboost Booster {k}", protocols=(4,))
            with open(path(fam, f"xgboost/{k}.raw.ubj"), "wb") as f:
                f.write(b.save_raw("ubj"))
            emit(fam, f"xgboost/{k}.raw.ubj", "xgboost-ubj", "xgboost save_raw ubj")

    def lgb():
        import lightgbm as lgbm

        for k, m in (("clf", lgbm.LGBMClassifier(n_estimators=5, random_state=0, verbose=-1, min_child_samples=2).fit(X, y)),
                     ("reg", lgbm.LGBMRegressor(n_estimators=5, random_state=0, verbose=-1, min_child_samples=2).fit(X, yr))):
            m.booster_.save_model(path(fam, f"lightgbm/{k}.txt"))
            emit(fam, f"lightgbm/{k}.txt", "lightgbm-txt", f"lightgbm {k} save_model")
            dump_pickles(fam, f"lightgbm/{k}", m, f"lightgbm {k}")
            joblib.dump(m, path(fam, f"lightgbm/{k}.joblib"))
            emit(fam, f"lightgbm/{k}.joblib", "joblib", f"lightgbm {k} joblib")
            dump_pickles(fam, f"lightgbm/{k}.booster", m.booster_, f"lightgbm Booster {k}", protocols=(4,))

    def cat():
        import catboost as cb

        for k, m in (("clf", cb.CatBoostClassifier(iterations=5, random_seed=0, verbose=False, allow_writing_files=False).fit(X, y)),
                     ("reg", cb.CatBoostRegressor(iterations=5, random_seed=0, verbose=False, allow_writing_files=False).fit(X, yr))):
            m.save_model(path(fam, f"catboost/{k}.cbm"))
            emit(fam, f"catboost/{k}.cbm", "catboost-cbm", f"catboost {k} cbm")
            m.save_model(path(fam, f"catboost/{k}.json"), format="json")
            emit(fam, f"catboost/{k}.json", "catboost-json", f"catboost {k} json")
            try:
                m.save_model(path(fam, f"catboost/{k}.onnx"), format="onnx")
                emit(fam, f"catboost/{k}.onnx", "onnx", f"catboost {k} onnx")
            except Exception as e:  # noqa: BLE001
                FAILURES.append((fam, f"catboost {k} onnx", repr(e)[:200]))
            dump_pickles(fam, f"catboost/{k}", m, f"catboost {k}")
            joblib.dump(m, path(fam, f"catboost/{k}.joblib"))
            emit(fam, f"catboost/{k}.joblib", "joblib", f"catboost {k} joblib")

    attempt(fam, "xgboost", xgb)
    attempt(fam, "lightgbm", lgb)
    attempt(fam, "catboost", cat)


# ---------------------------------------------------------------- gensim / statsmodels / nltk / spaCy


@generator("gensim")
def gen_gensim():
    from gensim import corpora, models
    from gensim.models import doc2vec, fasttext, phrases, word2vec

    fam = "gensim"
    texts = [["human", "interface", "computer"], ["survey", "user", "computer", "system", "response", "time"],
             ["eps", "user", "interface", "system"], ["system", "human", "system", "eps"], ["user", "response", "time"],
             ["trees"], ["graph", "trees"], ["graph", "minors", "trees"], ["graph", "minors", "survey"]] * 3
    dct = corpora.Dictionary(texts)
    corpus = [dct.doc2bow(t) for t in texts]
    items = {
        "word2vec_cbow": lambda: word2vec.Word2Vec(texts, vector_size=10, min_count=1, seed=0, workers=1),
        "word2vec_sg": lambda: word2vec.Word2Vec(texts, vector_size=10, min_count=1, sg=1, hs=1, seed=0, workers=1),
        "fasttext": lambda: fasttext.FastText(texts, vector_size=10, min_count=1, seed=0, workers=1, bucket=1000),
        "doc2vec": lambda: doc2vec.Doc2Vec([doc2vec.TaggedDocument(t, [i]) for i, t in enumerate(texts)], vector_size=10, min_count=1, seed=0,
                                           workers=1),
        "keyedvectors": lambda: word2vec.Word2Vec(texts, vector_size=10, min_count=1, seed=0, workers=1).wv,
        "dictionary": lambda: dct,
        "tfidf": lambda: models.TfidfModel(corpus),
        "lda": lambda: models.LdaModel(corpus, id2word=dct, num_topics=2, random_state=0),
        "ldamulticore": lambda: models.LdaMulticore(corpus, id2word=dct, num_topics=2, random_state=0, workers=1),
        "lsi": lambda: models.LsiModel(corpus, id2word=dct, num_topics=2),
        "hdp": lambda: models.HdpModel(corpus, id2word=dct, random_state=0),
        "rp": lambda: models.RpModel(corpus, num_topics=2),
        "logentropy": lambda: models.LogEntropyModel(corpus),
        "nmf": lambda: models.Nmf(corpus, num_topics=2, id2word=dct, random_state=0),
        "phrases": lambda: phrases.Phrases(texts, min_count=1, threshold=0.1),
        "frozen_phrases": lambda: phrases.Phrases(texts, min_count=1, threshold=0.1).freeze(),
        "normmodel": lambda: models.NormModel(corpus),
        "atmodel": lambda: models.AuthorTopicModel(corpus, author2doc={"a": [0, 1, 2], "b": list(range(3, len(corpus)))}, id2word=dct,
                                                   num_topics=2, random_state=0),
        "similarity_matrix": lambda: __import__("gensim.similarities", fromlist=["x"]).MatrixSimilarity(corpus, num_features=len(dct)),
        "sparse_similarity": lambda: __import__("gensim.similarities", fromlist=["x"]).SparseMatrixSimilarity(corpus, num_features=len(dct)),
    }
    for k, make in items.items():
        seed_all()
        obj = attempt(fam, k, make)
        if obj is None:
            continue
        for variant, kw in (("default", {}), ("separate", {"sep_limit": 0})):
            d = f"{k}.{variant}"

            def save(obj=obj, d=d, kw=kw):
                base = path(fam, f"{d}/model.gensim")
                obj.save(base, **kw)
                for fn in sorted(os.listdir(os.path.dirname(base))):
                    fmt = "npy" if fn.endswith(".npy") else "pickle"
                    emit(fam, f"{d}/{fn}", fmt, f"gensim {k} .save {variant} ({fn})")

            attempt(fam, f"{k} save {variant}", save)
    kv = word2vec.Word2Vec(texts, vector_size=10, min_count=1, seed=0, workers=1).wv
    attempt(fam, "w2v bin", lambda: (kv.save_word2vec_format(path(fam, "w2v_format/vectors.bin"), binary=True),
                                     emit(fam, "w2v_format/vectors.bin", "word2vec-bin", "save_word2vec_format binary")))
    attempt(fam, "w2v txt", lambda: (kv.save_word2vec_format(path(fam, "w2v_format/vectors.txt"), binary=False),
                                     emit(fam, "w2v_format/vectors.txt", "word2vec-txt", "save_word2vec_format text")))


@generator("statsmodels")
def gen_statsmodels():
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    fam = "statsmodels"
    rng = np.random.default_rng(0)
    n = 80
    x = rng.standard_normal((n, 2))
    yb = (x[:, 0] + rng.standard_normal(n) > 0).astype(float)
    yr = x @ [1.0, -1.0] + rng.standard_normal(n)
    ycount = rng.poisson(2, n)
    df = pd.DataFrame({"y": yr, "a": x[:, 0], "b": x[:, 1], "g": np.arange(n) % 4})
    ts = pd.Series(np.cumsum(rng.standard_normal(60)) + 10, index=pd.date_range("2020-01-01", periods=60, freq="MS"))
    X = sm.add_constant(x)
    items = {
        "ols": lambda: sm.OLS(yr, X).fit(),
        "wls": lambda: sm.WLS(yr, X, weights=np.ones(n)).fit(),
        "logit": lambda: sm.Logit(yb, X).fit(disp=0),
        "probit": lambda: sm.Probit(yb, X).fit(disp=0),
        "poisson": lambda: sm.Poisson(ycount, X).fit(disp=0),
        "glm_binomial": lambda: sm.GLM(yb, X, family=sm.families.Binomial()).fit(),
        "glm_gamma": lambda: sm.GLM(np.abs(yr) + 0.1, X, family=sm.families.Gamma(sm.families.links.Log())).fit(),
        "formula_ols": lambda: smf.ols("y ~ a + b + C(g)", df).fit(),
        "mixedlm": lambda: smf.mixedlm("y ~ a", df, groups=df["g"]).fit(),
        "quantreg": lambda: smf.quantreg("y ~ a + b", df).fit(q=0.5),
        "rlm": lambda: sm.RLM(yr, X).fit(),
        "arima": lambda: sm.tsa.ARIMA(ts, order=(1, 1, 1)).fit(),
        "sarimax": lambda: sm.tsa.SARIMAX(ts, order=(1, 0, 0), seasonal_order=(1, 0, 0, 12)).fit(disp=False),
        "ets": lambda: sm.tsa.ExponentialSmoothing(ts, trend="add").fit(),
        "holtwinters_simple": lambda: sm.tsa.SimpleExpSmoothing(ts).fit(),
        "ar": lambda: sm.tsa.AutoReg(ts, lags=2).fit(),
        "var": lambda: sm.tsa.VAR(pd.DataFrame({"a": ts.values, "b": ts.values[::-1]}, index=ts.index)).fit(1),
        "unobserved": lambda: sm.tsa.UnobservedComponents(ts, "local level").fit(disp=False),
        "stl": lambda: sm.tsa.STL(ts, period=12).fit(),
        "kde": lambda: sm.nonparametric.KDEUnivariate(yr).fit(),
        "gee": lambda: smf.gee("y ~ a", "g", df).fit(),
        "negbin": lambda: sm.NegativeBinomial(ycount, X).fit(disp=0),
        "mnlogit": lambda: sm.MNLogit(np.arange(n) % 3, X).fit(disp=0),
    }
    for k, make in items.items():
        res = attempt(fam, k, make)
        if res is None:
            continue
        if hasattr(res, "save"):
            attempt(fam, f"{k} save", lambda: (res.save(path(fam, f"save/{k}.pickle")), emit(fam, f"save/{k}.pickle", "pickle", f"statsmodels {k} .save")))
            attempt(fam, f"{k} save remove_data", lambda: (res.save(path(fam, f"save/{k}.nodata.pickle"), remove_data=True),
                                                          emit(fam, f"save/{k}.nodata.pickle", "pickle", f"statsmodels {k} .save remove_data")))
        else:
            attempt(fam, f"{k} pickle", dump_pickles, fam, f"pickle/{k}", res, f"statsmodels {k}", protocols=(4,))


@generator("nltk")
def gen_nltk():
    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

    fam = "nltk"
    train = [({"len": len(w), "first": w[0]}, w[-1] in "aeiou") for w in "apple banana cherry date fig grape kiwi lemon mango".split()]
    text = "This is a test. Mr. Smith went to Washington. He arrived at 5 p.m. and left. It was fine. " * 20
    items = {
        "naivebayes": lambda: nltk.NaiveBayesClassifier.train(train),
        "decisiontree": lambda: nltk.DecisionTreeClassifier.train(train),
        "punkt": lambda: (lambda t: (t.train(text, finalize=True), PunktSentenceTokenizer(t.get_params()))[1])(PunktTrainer()),
        "unigram_tagger": lambda: nltk.UnigramTagger([[("the", "DT"), ("cat", "NN")], [("a", "DT"), ("dog", "NN")]]),
        "freqdist": lambda: nltk.FreqDist("the cat the dog".split()),
        "conditional_freqdist": lambda: nltk.ConditionalFreqDist([("a", "x"), ("b", "y")]),
        "regexp_tokenizer": lambda: nltk.RegexpTokenizer(r"\w+"),
        "perceptron_tagger": lambda: (lambda t: (t.train([[("the", "DT"), ("cat", "NN")]] * 3, nr_iter=2), t)[1])(
            __import__("nltk.tag.perceptron", fromlist=["x"]).PerceptronTagger(load=False)),
        "stemmer": lambda: nltk.PorterStemmer(),
    }
    for k, make in items.items():
        obj = attempt(fam, k, make)
        if obj is not None:
            attempt(fam, k, dump_pickles, fam, k, obj, f"nltk {k}", protocols=(2, 4))


@generator("spacy")
def gen_spacy():
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    fam = "spacy"
    seed_all()
    spacy.util.fix_random_seed(0)

    def pipeline(name, comps, labels=None):
        nlp = spacy.blank("en")
        for c in comps:
            if c == "entity_ruler":
                r = nlp.add_pipe("entity_ruler")
                r.add_patterns([{"label": "ORG", "pattern": "Apple"}])
            else:
                nlp.add_pipe(c)
        examples = []
        if any(c in comps for c in ("ner", "tagger", "textcat")):
            doc = nlp.make_doc("Apple buys a startup")
            ann = {}
            if "ner" in comps:
                ann["entities"] = [(0, 5, "ORG")]
            if "tagger" in comps:
                ann["tags"] = ["N", "V", "D", "N"]
            if "textcat" in comps:
                ann["cats"] = {"POS": 1.0, "NEG": 0.0}
            examples.append(Example.from_dict(doc, ann))
            nlp.initialize(lambda: examples)
        else:
            nlp.initialize()
        d = path(fam, f"{name}/meta.json")
        nlp.to_disk(os.path.dirname(d))
        RECORDS.append((os.path.relpath(os.path.dirname(d), OUT), "spacy-folder", fam, f"spaCy to_disk {comps}"))
        with open(path(fam, f"bytes/{name}.bin"), "wb") as f:
            f.write(nlp.to_bytes())
        emit(fam, f"bytes/{name}.bin", "msgpack", f"spaCy to_bytes {comps}")
        db = DocBin(docs=[nlp("Apple buys a startup")])
        db.to_disk(path(fam, f"docbin/{name}.spacy"))
        emit(fam, f"docbin/{name}.spacy", "spacy-docbin", "DocBin")

    attempt(fam, "sentencizer", pipeline, "sentencizer", ["sentencizer"])
    attempt(fam, "ruler", pipeline, "ruler", ["sentencizer", "entity_ruler"])
    attempt(fam, "ner", pipeline, "ner", ["ner"])
    attempt(fam, "tagger", pipeline, "tagger", ["tok2vec", "tagger"])
    attempt(fam, "textcat", pipeline, "textcat", ["textcat"])


# ---------------------------------------------------------------- Lightning / accelerate


@generator("lightning")
def gen_lightning():
    import pathlib

    import torch
    from omegaconf import OmegaConf

    try:
        import lightning.pytorch as pl
    except ImportError:
        import pytorch_lightning as pl

    fam = "lightning"

    class LitMLP(pl.LightningModule):
        def __init__(self, cfg=None, lr=1e-3, data_dir=pathlib.Path("/data"), **kw):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Linear(4, 2)

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def configure_optimizers(self):
            opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, 1)}

    LitMLP.__module__ = "sweepnets"
    import sweepnets

    sweepnets.LitMLP = LitMLP
    LitMLP.__qualname__ = "LitMLP"
    seed_all()
    ds = torch.utils.data.TensorDataset(torch.randn(16, 4), torch.randint(0, 2, (16,)))
    dl = torch.utils.data.DataLoader(ds, batch_size=4)
    variants = {
        "plain": {},
        "omegaconf": {"cfg": OmegaConf.create({"model": {"hidden": 8, "layers": [1, 2]}, "optim": {"lr": 0.1}})},
        "omegaconf_struct": {"cfg": OmegaConf.structured({"a": 1, "b": "x"})},
        "pathlib": {"data_dir": pathlib.PosixPath("/tmp/data"), "extra": {"paths": [pathlib.Path("a"), pathlib.Path("b")]}},
    }
    for k, kw in variants.items():
        def one(k=k, kw=kw):
            model = LitMLP(**kw)
            d = os.path.dirname(path(fam, f"{k}/x"))
            trainer = pl.Trainer(max_epochs=1, max_steps=2, accelerator="cpu", logger=False, enable_progress_bar=False,
                                 enable_model_summary=False, default_root_dir=d, enable_checkpointing=True)
            trainer.fit(model, dl)
            trainer.save_checkpoint(path(fam, f"{k}/manual.ckpt"))
            emit(fam, f"{k}/manual.ckpt", "pytorch", f"lightning save_checkpoint {k}")
            trainer.save_checkpoint(path(fam, f"{k}/weights_only.ckpt"), weights_only=True)
            emit(fam, f"{k}/weights_only.ckpt", "pytorch", f"lightning save_checkpoint weights_only {k}")
            for root, _, files in os.walk(d):
                for fn in files:
                    if fn.endswith(".ckpt") and "checkpoints" in root:
                        emit(fam, os.path.relpath(os.path.join(root, fn), os.path.join(OUT, fam)), "pytorch", f"lightning ModelCheckpoint {k}")

        attempt(fam, k, one)


@generator("accelerate")
def gen_accelerate():
    import torch
    from accelerate import Accelerator

    fam = "accelerate"
    seed_all()
    acc = Accelerator(cpu=True)
    m = torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW(m.parameters())
    sched = torch.optim.lr_scheduler.LinearLR(opt)
    m, opt, sched = acc.prepare(m, opt, sched)
    for safe in (True, False):
        d = path(fam, f"state_{'safe' if safe else 'bin'}/x")
        acc.save_state(os.path.dirname(d), safe_serialization=safe)
        RECORDS.append((os.path.relpath(os.path.dirname(d), OUT), "accelerate-folder", fam, f"Accelerator.save_state safe={safe}"))
        for fn in sorted(os.listdir(os.path.dirname(d))):
            fp = os.path.join(os.path.dirname(d), fn)
            if os.path.isfile(fp):
                RECORDS.append((os.path.relpath(fp, OUT), fmt_by_ext(fn), fam, f"Accelerator.save_state file {fn}"))


def fmt_by_ext(fn):
    ext = fn.rsplit(".", 1)[-1].lower()
    return {"pkl": "pickle", "pickle": "pickle", "bin": "pytorch", "pt": "pytorch", "pth": "pytorch", "safetensors": "safetensors",
            "json": "json", "onnx": "onnx", "h5": "h5", "keras": "keras", "npy": "npy", "npz": "npz", "model": "sentencepiece",
            "txt": "text"}.get(ext, ext)


# ---------------------------------------------------------------- Hugging Face


def tiny_configs():
    import transformers as T

    common = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, vocab_size=99)
    return {
        "bert": lambda: (T.BertConfig(**common), T.BertForSequenceClassification),
        "distilbert": lambda: (T.DistilBertConfig(dim=32, n_layers=2, n_heads=2, hidden_dim=37, vocab_size=99), T.DistilBertModel),
        "roberta": lambda: (T.RobertaConfig(**common), T.RobertaForMaskedLM),
        "gpt2": lambda: (T.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=99), T.GPT2LMHeadModel),
        "llama": lambda: (T.LlamaConfig(**common, num_key_value_heads=1), T.LlamaForCausalLM),
        "mistral": lambda: (T.MistralConfig(**common, num_key_value_heads=1), T.MistralForCausalLM),
        "qwen2": lambda: (T.Qwen2Config(**common, num_key_value_heads=1), T.Qwen2ForCausalLM),
        "t5": lambda: (T.T5Config(d_model=32, d_ff=37, num_layers=2, num_heads=2, d_kv=8, vocab_size=99), T.T5ForConditionalGeneration),
        "bart": lambda: (T.BartConfig(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
                                      encoder_ffn_dim=37, decoder_ffn_dim=37, vocab_size=99), T.BartForConditionalGeneration),
        "vit": lambda: (T.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, image_size=32,
                                    patch_size=8), T.ViTForImageClassification),
        "clip": lambda: (T.CLIPConfig(text_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                                                       vocab_size=99),
                                      vision_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                                                         image_size=32, patch_size=8), projection_dim=16), T.CLIPModel),
        "whisper": lambda: (T.WhisperConfig(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                                            decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37, vocab_size=99,
                                            num_mel_bins=16, max_source_positions=32, max_target_positions=32,
                                            pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
                                            suppress_tokens=[], begin_suppress_tokens=[]), T.WhisperForConditionalGeneration),
        "electra": lambda: (T.ElectraConfig(**common, embedding_size=16), T.ElectraForTokenClassification),
        "albert": lambda: (T.AlbertConfig(**common, embedding_size=16), T.AlbertModel),
        "deberta_v2": lambda: (T.DebertaV2Config(**common), T.DebertaV2Model),
        "wav2vec2": lambda: (T.Wav2Vec2Config(**common, conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
                                              num_conv_pos_embedding_groups=2), T.Wav2Vec2Model),
        "opt": lambda: (T.OPTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, ffn_dim=37, vocab_size=99,
                                    word_embed_proj_dim=32), T.OPTForCausalLM),
        "gemma": lambda: (T.GemmaConfig(**common, num_key_value_heads=1, head_dim=16), T.GemmaForCausalLM),
        "phi": lambda: (T.PhiConfig(**common), T.PhiForCausalLM),
        "resnet": lambda: (T.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], num_labels=3), T.ResNetForImageClassification),
    }


@generator("transformers")
def gen_transformers():
    import torch

    fam = "transformers"
    for k, make in tiny_configs().items():
        seed_all()
        pair = attempt(fam, f"{k} build", make)
        if pair is None:
            continue
        cfg, cls = pair
        model = attempt(fam, f"{k} init", cls, cfg)
        if model is None:
            continue
        d = path(fam, f"{k}/safetensors/x")
        ok = attempt(fam, f"{k} save safetensors", lambda: model.save_pretrained(os.path.dirname(d)) or True)
        if ok:
            RECORDS.append((os.path.relpath(os.path.dirname(d), OUT), "hf-folder", fam, f"{k} save_pretrained safetensors"))

        def bin_(k=k, model=model):
            d2 = os.path.dirname(path(fam, f"{k}/bin/x"))
            try:
                model.save_pretrained(d2, safe_serialization=False)
            except TypeError:
                # transformers releases without safe_serialization: write what older releases wrote
                model.config.save_pretrained(d2)
                torch.save(model.state_dict(), os.path.join(d2, "pytorch_model.bin"))
            RECORDS.append((os.path.relpath(d2, OUT), "hf-folder", fam, f"{k} save_pretrained pytorch_model.bin"))

        attempt(fam, f"{k} save bin", bin_)
        attempt(fam, f"{k} whole", tsave, fam, f"whole/{k}.pt", model, f"torch.save(transformers {k})")

    # tokenizers
    def toks():
        import transformers as T
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        corpus = ["hello world", "the quick brown fox jumps over the lazy dog", "model files are data"] * 10
        for kind in ("bpe", "wordpiece", "unigram", "wordlevel"):
            if kind == "bpe":
                tok = Tokenizer(models.BPE(unk_token="[UNK]"))
                tr = trainers.BpeTrainer(vocab_size=60, special_tokens=["[UNK]", "[PAD]"])
            elif kind == "wordpiece":
                tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
                tr = trainers.WordPieceTrainer(vocab_size=60, special_tokens=["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"])
            elif kind == "unigram":
                tok = Tokenizer(models.Unigram())
                tr = trainers.UnigramTrainer(vocab_size=40, special_tokens=["[UNK]"], unk_token="[UNK]")
            else:
                tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
                tr = trainers.WordLevelTrainer(special_tokens=["[UNK]"])
            tok.pre_tokenizer = pre_tokenizers.Whitespace()
            tok.train_from_iterator(corpus, tr)
            tok.save(path(fam, f"tokenizers/{kind}.json"))
            emit(fam, f"tokenizers/{kind}.json", "json", f"tokenizers {kind}")
            fast = T.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[UNK]")
            d = os.path.dirname(path(fam, f"tokenizer_{kind}/x"))
            fast.save_pretrained(d)
            RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, f"PreTrainedTokenizerFast {kind} save_pretrained"))
        # slow BERT tokenizer from a vocab file
        vocab = os.path.dirname(path(fam, "tokenizer_bert_slow/x"))
        vf = os.path.join(vocab, "vocab_src.txt")
        with open(vf, "w") as f:
            f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(" ".join(corpus).split()))))
        bt = T.BertTokenizer(vf)
        os.remove(vf)
        bt.save_pretrained(vocab)
        RECORDS.append((os.path.relpath(vocab, OUT), "hf-folder", fam, "BertTokenizer save_pretrained"))

    attempt(fam, "tokenizers", toks)

    def spm():
        import sentencepiece as sp
        import transformers as T

        d = os.path.dirname(path(fam, "sentencepiece/x"))
        txt = os.path.join(d, "corpus.txt")
        with open(txt, "w") as f:
            for i in range(200):
                f.write(f"sentence number {i} about models and files and scanners {i % 7}\n")
        sp.SentencePieceTrainer.train(input=txt, model_prefix=os.path.join(d, "spm"), vocab_size=50, model_type="unigram",
                                      num_threads=1)
        os.remove(txt)
        emit(fam, "sentencepiece/spm.model", "sentencepiece", "SentencePieceTrainer unigram")
        for name, cls in (("t5", "T5Tokenizer"), ("llama", "LlamaTokenizer"), ("albert", "AlbertTokenizer")):
            def one(name=name, cls=cls):
                t = getattr(T, cls)(os.path.join(d, "spm.model"))
                out = os.path.dirname(path(fam, f"tokenizer_spm_{name}/x"))
                t.save_pretrained(out)
                RECORDS.append((os.path.relpath(out, OUT), "hf-folder", fam, f"{cls} save_pretrained"))

            attempt(fam, f"spm {name}", one)

    attempt(fam, "sentencepiece", spm)


@generator("diffusers")
def gen_diffusers():
    import diffusers as D
    import transformers as T

    fam = "diffusers"
    seed_all()

    def ddpm():
        unet = D.UNet2DModel(sample_size=8, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(8, 16),
                             down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
                             norm_num_groups=4)
        pipe = D.DDPMPipeline(unet=unet, scheduler=D.DDPMScheduler(num_train_timesteps=10))
        d = os.path.dirname(path(fam, "ddpm/x"))
        pipe.save_pretrained(d)
        RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, "DDPMPipeline save_pretrained"))
        d2 = os.path.dirname(path(fam, "ddpm_bin/x"))
        pipe.save_pretrained(d2, safe_serialization=False)
        RECORDS.append((os.path.relpath(d2, OUT), "hf-folder", fam, "DDPMPipeline save_pretrained bin"))

    def sd():
        unet = D.UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
                                      down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                                      cross_attention_dim=16, norm_num_groups=4, attention_head_dim=2)
        vae = D.AutoencoderKL(block_out_channels=(8, 16), in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                              up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=4)
        te = T.CLIPTextModel(T.CLIPTextConfig(hidden_size=16, intermediate_size=37, num_attention_heads=2, num_hidden_layers=2,
                                              vocab_size=1000, bos_token_id=0, eos_token_id=2, pad_token_id=1))
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        tk = Tokenizer(models.BPE(unk_token="<unk>"))
        tk.pre_tokenizer = pre_tokenizers.Whitespace()
        tk.train_from_iterator(["a photo of a cat", "a painting of a dog"] * 5,
                               trainers.BpeTrainer(vocab_size=50, special_tokens=["<s>", "<pad>", "</s>", "<unk>"]))
        tok = T.PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
        pipe = D.StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=te, tokenizer=tok, scheduler=D.PNDMScheduler(skip_prk_steps=True),
                                         safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        d = os.path.dirname(path(fam, "stable_diffusion/x"))
        pipe.save_pretrained(d)
        RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, "StableDiffusionPipeline save_pretrained"))

    def schedulers():
        for name in ("DDIMScheduler", "EulerDiscreteScheduler", "DPMSolverMultistepScheduler", "LMSDiscreteScheduler"):
            d = os.path.dirname(path(fam, f"schedulers/{name}/x"))
            getattr(D, name)().save_pretrained(d)
            RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, f"{name} save_pretrained"))

    attempt(fam, "ddpm", ddpm)
    attempt(fam, "stable diffusion", sd)
    attempt(fam, "schedulers", schedulers)


@generator("peft")
def gen_peft():
    import transformers as T
    from peft import IA3Config, LoraConfig, PrefixTuningConfig, get_peft_model

    fam = "peft"
    for k, cfg in (("lora", LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn"], task_type="CAUSAL_LM")),
                   ("ia3", IA3Config(target_modules=["c_attn", "mlp.c_proj"], feedforward_modules=["mlp.c_proj"], task_type="CAUSAL_LM")),
                   ("prefix", PrefixTuningConfig(num_virtual_tokens=4, task_type="CAUSAL_LM"))):
        for safe in (True, False):
            def one(k=k, cfg=cfg, safe=safe):
                seed_all()
                base = T.GPT2LMHeadModel(T.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=99))
                pm = get_peft_model(base, cfg)
                d = os.path.dirname(path(fam, f"{k}_{'safe' if safe else 'bin'}/x"))
                pm.save_pretrained(d, safe_serialization=safe)
                RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, f"peft {k} save_pretrained safe={safe}"))

            attempt(fam, f"{k} safe={safe}", one)


@generator("sentence-transformers")
def gen_st():
    import transformers as T
    from sentence_transformers import SentenceTransformer, models

    fam = "sentence-transformers"
    seed_all()
    base = os.path.dirname(path(fam, "_base_bert/x"))
    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from tokenizers import models as tm

    tk = Tokenizer(tm.WordPiece(unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(["sentence embeddings for a sweep"] * 5,
                           trainers.WordPieceTrainer(vocab_size=99, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    tok = T.BertTokenizerFast(tokenizer_object=tk)
    T.BertModel(T.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, vocab_size=99)).save_pretrained(base)
    tok.save_pretrained(base)
    for k, mods in (("mean", lambda: [models.Transformer(base), models.Pooling(32, "mean")]),
                    ("cls_dense_norm", lambda: [models.Transformer(base), models.Pooling(32, "cls"), models.Dense(32, 16), models.Normalize()])):
        def one(k=k, mods=mods):
            st = SentenceTransformer(modules=mods(), device="cpu")
            d = os.path.dirname(path(fam, f"{k}/x"))
            st.save(d)
            RECORDS.append((os.path.relpath(d, OUT), "hf-folder", fam, f"SentenceTransformer.save {k}"))
            d2 = os.path.dirname(path(fam, f"{k}_bin/x"))
            st.save(d2, safe_serialization=False)
            RECORDS.append((os.path.relpath(d2, OUT), "hf-folder", fam, f"SentenceTransformer.save {k} bin"))

        attempt(fam, k, one)


# ---------------------------------------------------------------- Keras / h5py


@generator("keras")
def gen_keras():
    import keras
    import numpy as np

    fam = "keras"
    keras.utils.set_random_seed(0)

    @keras.saving.register_keras_serializable(package="sweep")
    class ScaleLayer(keras.layers.Layer):
        def __init__(self, factor=2.0, **kw):
            super().__init__(**kw)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def seq():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.1),
                                 keras.layers.Dense(3, activation="softmax")])

    def functional():
        i = keras.Input((8, 8, 3))
        x = keras.layers.Conv2D(4, 3, padding="same")(i)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        o = keras.layers.Dense(2)(x)
        return keras.Model(i, o)

    def rnn():
        return keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(20, 8), keras.layers.LSTM(8),
                                 keras.layers.Dense(1)])

    def custom():
        return keras.Sequential([keras.Input((4,)), ScaleLayer(3.0), keras.layers.Dense(2)])

    def compiled():
        m = seq()
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        X, y, _ = toy_data()
        m.fit(X, y, epochs=1, verbose=0)
        return m

    for k, make in (("sequential", seq), ("functional_cnn", functional), ("lstm", rnn), ("custom_registered", custom),
                    ("compiled_trained", compiled)):
        m = attempt(fam, k, make)
        if m is None:
            continue
        attempt(fam, f"{k} .keras", lambda: (m.save(path(fam, f"{k}.keras")), emit(fam, f"{k}.keras", "keras", f"keras {k} .keras")))
        attempt(fam, f"{k} .h5", lambda: (m.save(path(fam, f"{k}.h5")), emit(fam, f"{k}.h5", "h5", f"keras {k} legacy .h5")))
        attempt(fam, f"{k} weights", lambda: (m.save_weights(path(fam, f"{k}.weights.h5")),
                                              emit(fam, f"{k}.weights.h5", "h5", f"keras {k} .weights.h5")))


@generator("h5py")
def gen_h5py():
    import h5py
    import numpy as np

    fam = "h5py"
    p = path(fam, "plain.h5")
    with h5py.File(p, "w") as f:
        f.create_dataset("w", data=np.arange(12.0).reshape(3, 4))
        g = f.create_group("layer1")
        g.create_dataset("b", data=np.zeros(4), compression="gzip")
        g.attrs["name"] = "dense"
    emit(fam, "plain.h5", "h5", "h5py datasets")


# ---------------------------------------------------------------- driver


def main():
    global OUT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/mv-sweep/generated")
    ap.add_argument("--only", nargs="*", help=f"families: {' '.join(GENERATORS)}")
    ap.add_argument("--skip", nargs="*", default=[])
    args = ap.parse_args()
    OUT = os.path.abspath(args.out)
    os.makedirs(OUT, exist_ok=True)
    fams = args.only or list(GENERATORS)
    for fam in fams:
        if fam in args.skip:
            continue
        if fam not in GENERATORS:
            sys.exit(f"unknown family {fam}; known: {' '.join(GENERATORS)}")
        seed_all()
        n0 = len(RECORDS)
        try:
            GENERATORS[fam]()
        except Exception as e:  # noqa: BLE001 - a missing library skips its family
            FAILURES.append((fam, "*", f"{type(e).__name__}: {e}".replace("\n", " ")[:300]))
            traceback.print_exc(limit=2)
        print(f"[generate] {fam}: {len(RECORDS) - n0} targets", file=sys.stderr, flush=True)
    # merge with targets of families not regenerated this time
    tsv = os.path.join(OUT, "targets.tsv")
    old = []
    if args.only and os.path.exists(tsv):
        with open(tsv) as f:
            old = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
        old = [r for r in old if len(r) == 4 and r[2] not in fams]
    rows = old + [list(r) for r in RECORDS]
    with open(tsv, "w") as f:
        f.write("#path\tformat\tfamily\twhat\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    fpath = os.path.join(OUT, "failures.tsv")
    oldf = []
    if args.only and os.path.exists(fpath):
        with open(fpath) as f:
            oldf = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
        oldf = [r for r in oldf if len(r) == 3 and r[0] not in fams]
    with open(fpath, "w") as f:
        f.write("#family\titem\terror\n")
        for r in oldf + [list(r) for r in FAILURES]:
            f.write("\t".join(x.replace("\t", " ") for x in r) + "\n")
    print(f"[generate] {len(rows)} targets in {tsv}; {len(FAILURES)} failures in {fpath}", file=sys.stderr)


if __name__ == "__main__":
    main()
