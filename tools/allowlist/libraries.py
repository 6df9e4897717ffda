"""The objects each library really pickles, made the way users make them.

Each `lib_<profile>(obs, skips)` builds objects and hands them to the observer:
`obs.pickle(obj, how)` (protocols 0-5), `obs.joblib(obj, how)`,
`obs.torch_save(obj, how)`, `obs.data(bytes, how)` for files a save function
wrote. Anything that fails is skipped (the library may be missing a piece);
`skips` collects what was skipped. Module walks (every class a library defines)
are done by generate.py on top of this.
"""

import importlib
import io
import os
import sys


def run(profile, obs, skips):
    fn = globals().get(f"lib_{profile}")
    if fn:
        fn(obs, skips)


def each(obs, skips, items, how, save=None):
    """items: iterable of (label, factory); each object made and pickled."""
    from generate import quietly

    for label, make in items:
        obj = quietly(make, 120)
        if obj is None:
            skips.append(f"{how}: {label}")
            continue
        obs.pickle(obj, f"{how}: {label}")
        if save:
            save(obj, f"{how}: {label}")


def values_of(obs, objs, how):
    """Names referenced as values (a function kept as a parameter)."""
    import pickle

    import pickleuse

    for obj in objs:
        try:
            data = pickle.dumps(obj, protocol=4)
        except Exception:
            continue
        for (module, name), _ in pickleuse.uses(data).items():
            obs.table.add(module, name, "rebuild", obs.profile, f"{obs.version} {how}")


# --- standard library ---------------------------------------------------------


def lib_core(obs, skips):
    import __future__
    import argparse
    import array
    import builtins
    import collections
    import datetime
    import decimal
    import enum
    import fractions
    import functools
    import math
    import re
    import types
    import typing
    import uuid
    import zoneinfo

    class _E(enum.Enum):
        A = 1

    items = [
        ("OrderedDict", lambda: collections.OrderedDict(a=1)),
        ("defaultdict", lambda: collections.defaultdict(list, a=[1])),
        ("Counter", lambda: collections.Counter("ab")),
        ("deque", lambda: collections.deque([1, 2], maxlen=5)),
        ("ChainMap", lambda: collections.ChainMap({1: 2})),
        ("set", lambda: {1, 2}),
        ("frozenset", lambda: frozenset({1})),
        ("complex", lambda: 1 + 2j),
        ("bytes", lambda: b"ab"),
        ("bytearray", lambda: bytearray(b"ab")),
        ("slice", lambda: slice(1, 5, 2)),
        ("range", lambda: range(3)),
        ("Ellipsis", lambda: ...),
        ("NotImplemented", lambda: NotImplemented),
        ("NoneType", lambda: type(None)),
        ("type", lambda: [int, float, str, bytes, bool, list, dict, tuple, set, frozenset, object, type]),
        ("datetime", lambda: datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)),
        ("date", lambda: datetime.date(2024, 1, 2)),
        ("time", lambda: datetime.time(1, 2)),
        ("timedelta", lambda: datetime.timedelta(days=1)),
        ("timezone", lambda: datetime.timezone(datetime.timedelta(hours=2), "X")),
        ("zoneinfo", lambda: zoneinfo.ZoneInfo("UTC")),
        ("Decimal", lambda: decimal.Decimal("1.5")),
        ("Fraction", lambda: fractions.Fraction(1, 3)),
        ("UUID", lambda: uuid.UUID(int=5)),
        ("SafeUUID", lambda: uuid.SafeUUID.safe),
        ("SimpleNamespace", lambda: types.SimpleNamespace(a=1)),
        ("Namespace", lambda: argparse.Namespace(lr=0.1)),
        ("partial", lambda: functools.partial(max, 1)),
        ("re.compile", lambda: re.compile("a+", re.I)),
        ("RegexFlag", lambda: re.IGNORECASE),
        ("array", lambda: array.array("f", [1.0, 2.0])),
        ("exception", lambda: ValueError("x")),
        ("range-of-types", lambda: [type(...), type(NotImplemented)]),
    ]
    each(obs, skips, items, "stdlib object")
    # Exceptions are called with their arguments when unpickled: harmless.
    from generate import quietly

    for name in dir(builtins):
        obj = getattr(builtins, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            inst = quietly(lambda: obj("x"), 5)
            if inst is not None:
                obs.pickle(inst, "stdlib exception")
    # Pure builtin functions and math functions referenced as values.
    pure = ["abs", "all", "any", "ascii", "bin", "callable", "chr", "divmod", "format", "hash", "hex",
            "isinstance", "issubclass", "iter", "len", "max", "min", "next", "oct", "ord", "pow", "repr",
            "round", "sorted", "sum", "id", "map", "filter", "zip", "enumerate", "reversed", "staticmethod",
            "classmethod", "property", "super"]
    values_of(obs, [getattr(builtins, n) for n in pure], "pure builtin as a value")
    values_of(obs, [getattr(math, n) for n in dir(math) if callable(getattr(math, n)) and not n.startswith("_")],
              "math function as a value")
    # typing objects, as values (typing.List[int] is operator.getitem: not listed).
    tnames = [n for n in dir(typing) if not n.startswith("_") and n[0].isupper()]
    values_of(obs, [getattr(typing, n) for n in tnames], "typing object as a value")
    values_of(obs, [typing.TypeVar("T")], "typing object as a value")
    # __future__ features: instances rebuilt, and the names as values.
    for n in __future__.all_feature_names:
        obs.pickle(getattr(__future__, n), "__future__ feature")
        obs.reference("__future__", n, "__future__ feature as a value")
    # An Enum of the stdlib is called with its value.
    obs.pickle(uuid.SafeUUID.unknown, "stdlib enum")
    _ = sys


# --- NumPy ----------------------------------------------------------------------


def lib_numpy(obs, skips):
    import numpy as np

    dtypes = ["?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d", "g", "F", "D", "G", "O",
              "S3", "U3", "V4", "M8[ns]", "m8[s]", "M8[D]"]
    items = []
    for d in dtypes:
        items.append((f"array {d}", lambda d=d: np.zeros(3, dtype=d)))
        items.append((f"scalar {d}", lambda d=d: np.zeros(1, dtype=d)[0]))
        items.append((f"dtype {d}", lambda d=d: np.dtype(d)))
    items += [
        ("structured", lambda: np.zeros(2, dtype=[("a", "i4"), ("b", "f8", (2,))])),
        ("fortran", lambda: np.asfortranarray(np.ones((2, 3)))),
        ("StringDType", lambda: np.array(["a", "bc"], dtype=np.dtypes.StringDType())),
        ("masked", lambda: np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])),
        ("masked constant", lambda: np.ma.masked),
        ("mvoid", lambda: np.ma.masked_array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])[0]),
        ("matrix", lambda: np.matrix([[1, 2], [3, 4]])),
        ("recarray", lambda: np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])),
        ("record", lambda: np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])[0]),
        ("memmap-free", lambda: np.ones(2).view(np.ndarray)),
        ("RandomState", lambda: np.random.RandomState(0)),
        ("Generator", lambda: np.random.default_rng(0)),
        ("SeedSequence", lambda: np.random.SeedSequence(5)),
        ("MT19937", lambda: np.random.MT19937(0)),
        ("PCG64", lambda: np.random.PCG64(0)),
        ("PCG64DXSM", lambda: np.random.PCG64DXSM(0)),
        ("Philox", lambda: np.random.Philox(0)),
        ("SFC64", lambda: np.random.SFC64(0)),
        ("Generator(MT19937)", lambda: np.random.Generator(np.random.MT19937(1))),
        ("poly1d", lambda: np.poly1d([1, 2])),
        ("Polynomial", lambda: np.polynomial.Polynomial([1, 2])),
        ("Chebyshev", lambda: np.polynomial.Chebyshev([1, 2])),
        ("Legendre", lambda: np.polynomial.Legendre([1, 2])),
        ("Hermite", lambda: np.polynomial.Hermite([1, 2])),
        ("HermiteE", lambda: np.polynomial.HermiteE([1, 2])),
        ("Laguerre", lambda: np.polynomial.Laguerre([1, 2])),
        ("finfo", lambda: np.finfo(np.float32)),
        ("iinfo", lambda: np.iinfo(np.int8)),
        ("errstate-free", lambda: np.bool_(True)),
        ("dtype classes", lambda: [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType")]),
        ("scalar types", lambda: [np.float64, np.int64, np.bool_, np.str_, np.bytes_, np.object_, np.void,
                                  np.datetime64, np.timedelta64, np.generic, np.number, np.integer,
                                  np.floating, np.complexfloating]),
    ]
    each(obs, skips, items, "numpy object")
    for label, make in items[:3 * len(dtypes)]:
        obj = make()
        obs.joblib(obj, f"numpy object: {label}")
    ufuncs = [getattr(np, n) for n in dir(np) if isinstance(getattr(np, n, None), np.ufunc)]
    values_of(obs, ufuncs, "numpy ufunc as a value")
    funcs = [getattr(np, n) for n in dir(np)
             if not n.startswith("_") and callable(getattr(np, n, None)) and not isinstance(getattr(np, n), type)]
    values_of(obs, funcs, "numpy function as a value")
    values_of(obs, [getattr(np.linalg, n) for n in dir(np.linalg) if not n.startswith("_")], "numpy function as a value")
    # Every NumPy ufunc as a value, under numpy 1.x's and 2.x's names.
    for f in ufuncs:
        obs.reference("numpy", f.__name__, "numpy ufunc as a value")


# --- SciPy ----------------------------------------------------------------------


def lib_scipy(obs, skips):
    import numpy as np
    import scipy.interpolate as si
    import scipy.sparse as sp
    import scipy.spatial as ss
    import scipy.stats as st

    dense = np.array([[0, 1.0], [2.0, 0]])
    items = []
    for fmt in ["csr", "csc", "coo", "bsr", "dia", "dok", "lil"]:
        items.append((f"{fmt}_matrix", lambda fmt=fmt: getattr(sp, f"{fmt}_matrix")(dense)))
        items.append((f"{fmt}_array", lambda fmt=fmt: getattr(sp, f"{fmt}_array")(dense)))
    x = np.linspace(0, 1, 10)
    items += [
        ("norm frozen", lambda: st.norm(0, 1)),
        ("gamma frozen", lambda: st.gamma(2.0)),
        ("poisson frozen", lambda: st.poisson(3.0)),
        ("multivariate_normal", lambda: st.multivariate_normal([0, 0], np.eye(2))),
        ("gaussian_kde", lambda: st.gaussian_kde(np.random.default_rng(0).normal(size=20))),
        ("norm", lambda: st.norm),
        ("interp1d", lambda: si.interp1d(x, x ** 2)),
        ("CubicSpline", lambda: si.CubicSpline(x, x ** 2)),
        ("UnivariateSpline", lambda: si.UnivariateSpline(x, x ** 2)),
        ("make_interp_spline", lambda: si.make_interp_spline(x, x ** 2)),
        ("PchipInterpolator", lambda: si.PchipInterpolator(x, x ** 2)),
        ("Akima1DInterpolator", lambda: si.Akima1DInterpolator(x, x ** 2)),
        ("RegularGridInterpolator", lambda: si.RegularGridInterpolator((x,), x ** 2)),
        ("RBFInterpolator", lambda: si.RBFInterpolator(x[:, None], x)),
        ("PPoly", lambda: si.PPoly(np.ones((2, 1)), [0, 1])),
        ("KDTree", lambda: ss.KDTree(np.random.default_rng(0).normal(size=(10, 2)))),
        ("cKDTree", lambda: ss.cKDTree(np.random.default_rng(0).normal(size=(10, 2)))),
        ("ConvexHull", lambda: ss.ConvexHull(np.random.default_rng(0).normal(size=(10, 2)))),
        ("Delaunay", lambda: ss.Delaunay(np.random.default_rng(0).normal(size=(10, 2)))),
        ("Rotation", lambda: ss.transform.Rotation.from_euler("z", 30, degrees=True)),
        ("OptimizeResult", lambda: importlib.import_module("scipy.optimize").minimize(lambda v: (v ** 2).sum(), [1.0])),
    ]
    each(obs, skips, items, "scipy object", save=obs.joblib)
    special = importlib.import_module("scipy.special")
    values_of(obs, [getattr(special, n) for n in dir(special) if isinstance(getattr(special, n), np.ufunc)],
              "scipy.special ufunc as a value")
    values_of(obs, [getattr(st, n) for n in ["pearsonr", "spearmanr", "zscore", "entropy", "rankdata"]],
              "scipy.stats function as a value")


# --- pandas ---------------------------------------------------------------------


def lib_pandas(obs, skips):
    import numpy as np
    import pandas as pd

    def frame():
        return pd.DataFrame({
            "i": [1, 2], "f": [1.0, 2.0], "o": ["a", "b"], "b": [True, False],
            "c": pd.Categorical(["x", "y"]), "dt": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "dttz": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC"),
            "td": pd.to_timedelta([1, 2], unit="s"), "p": pd.period_range("2024-01", periods=2, freq="M"),
            "iv": pd.IntervalIndex.from_breaks([0, 1, 2]), "I": pd.array([1, None], dtype="Int64"),
            "B": pd.array([True, None], dtype="boolean"), "F": pd.array([1.0, None], dtype="Float64"),
            "s": pd.array(["a", None], dtype="string"), "sp": pd.arrays.SparseArray([0, 1]),
        })

    items = [
        ("DataFrame", frame),
        ("Series", lambda: pd.Series([1, 2], name="x")),
        ("RangeIndex", lambda: pd.RangeIndex(5)),
        ("Index", lambda: pd.Index(["a", "b"])),
        ("MultiIndex", lambda: pd.MultiIndex.from_tuples([(1, "a"), (2, "b")])),
        ("DatetimeIndex", lambda: pd.date_range("2024-01-01", periods=3, freq="D")),
        ("DatetimeIndex tz", lambda: pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Paris")),
        ("TimedeltaIndex", lambda: pd.timedelta_range("1D", periods=2)),
        ("PeriodIndex", lambda: pd.period_range("2024", periods=2, freq="Y")),
        ("CategoricalIndex", lambda: pd.CategoricalIndex(["a", "b"])),
        ("IntervalIndex", lambda: pd.interval_range(0, 3)),
        ("Timestamp", lambda: pd.Timestamp("2024-01-01", tz="UTC")),
        ("Timedelta", lambda: pd.Timedelta("1D")),
        ("Period", lambda: pd.Period("2024-01", freq="M")),
        ("Interval", lambda: pd.Interval(0, 1)),
        ("NaT", lambda: pd.NaT),
        ("NA", lambda: pd.NA),
        ("Categorical", lambda: pd.Categorical(["a", "b"], ordered=True)),
        ("CategoricalDtype", lambda: pd.CategoricalDtype(["a"])),
        ("DatetimeTZDtype", lambda: pd.DatetimeTZDtype(tz="UTC")),
        ("PeriodDtype", lambda: pd.PeriodDtype("M")),
        ("IntervalDtype", lambda: pd.IntervalDtype("int64")),
        ("SparseDtype", lambda: pd.SparseDtype("float")),
        ("StringDtype", lambda: pd.StringDtype()),
        ("ArrowDtype", lambda: pd.ArrowDtype(importlib.import_module("pyarrow").int64())),
        ("arrow frame", lambda: pd.DataFrame({"a": [1, 2]}, dtype="int64[pyarrow]")),
        ("arrow string", lambda: pd.Series(["a"], dtype="string[pyarrow]")),
        ("python string", lambda: pd.Series(["a"], dtype="string[python]")),
        ("object frame", lambda: pd.DataFrame({"a": [{"x": 1}, [1]]})),
        ("groupby-free wide", lambda: pd.DataFrame(np.ones((3, 3)), columns=list("abc"))),
        ("Flags-free Series dt", lambda: pd.Series(pd.date_range("2024", periods=2))),
    ]
    offsets = pd.offsets
    for n in sorted(dir(offsets)):
        if n[0].isupper():
            items.append((f"offset {n}", lambda n=n: getattr(offsets, n)()))
    each(obs, skips, items, "pandas object", save=obs.joblib)
    for proto in (2, 4, 5):
        pass
    values_of(obs, [pd.to_numeric, pd.to_datetime, pd.isna, pd.notna], "pandas function as a value")


# --- scikit-learn and joblib ----------------------------------------------------


def _toy():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 1.0, size=(40, 4))
    yc = np.array([0, 1] * 20)
    yr = X @ np.array([1.0, 2.0, 0.5, -1.0])
    return X, yc, yr


def _fit(est, X, yc, yr):
    from sklearn.base import is_classifier, is_regressor

    name = type(est).__name__
    if "Vectorizer" in name:
        return est.fit(["a b c", "b c d", "c d e"])
    if name in ("DictVectorizer", "FeatureHasher"):
        return est.fit([{"a": 1}, {"b": 2}])
    if name == "MultiLabelBinarizer":
        return est.fit([[1, 2], [3]])
    if name in ("LabelEncoder", "LabelBinarizer"):
        return est.fit(yc)
    if is_classifier(est):
        return est.fit(X, yc)
    if is_regressor(est):
        return est.fit(X, yr)
    try:
        return est.fit(X, yc)
    except TypeError:
        return est.fit(X)


def lib_sklearn(obs, skips):
    import numpy as np
    from generate import quietly
    from sklearn.utils import all_estimators

    X, yc, yr = _toy()
    instances = []
    try:
        from sklearn.utils._test_common.instance_generator import _construct_instances

        for _, cls in all_estimators():
            made = quietly(lambda: list(_construct_instances(cls)), 30) or []
            instances += made or [None]
            if not made:
                skips.append(f"sklearn: could not construct {cls.__name__}")
    except Exception:
        for _, cls in all_estimators():
            est = quietly(cls, 10)
            if est is not None:
                instances.append(est)
    for est in instances:
        if est is None:
            continue
        label = type(est).__name__
        fitted = quietly(lambda: _fit(est, X, yc, yr), 60)
        obs.pickle(fitted if fitted is not None else est, f"fitted estimator: {label}")
        if fitted is not None:
            obs.joblib(fitted, f"fitted estimator: {label}")
        else:
            skips.append(f"sklearn: could not fit {label}")
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    def column_transformer():
        import pandas as pd

        df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"]})
        ct = ColumnTransformer([("num", StandardScaler(), ["a"]), ("cat", OneHotEncoder(), ["b"])])
        return make_pipeline(ct, LogisticRegression()).fit(df, [0, 1, 0, 1])

    extra = [
        ("FunctionTransformer(np.log1p)", lambda: FunctionTransformer(np.log1p).fit(X)),
        ("FunctionTransformer(np.log1p, np.expm1)", lambda: FunctionTransformer(np.log1p, np.expm1).fit(X)),
        ("HistGradientBoostingClassifier", lambda: HistGradientBoostingClassifier(max_iter=3).fit(X, yc)),
        ("HistGradientBoostingRegressor", lambda: HistGradientBoostingRegressor(max_iter=3).fit(X, yr)),
        ("HGB random_state", lambda: HistGradientBoostingClassifier(max_iter=3, random_state=np.random.RandomState(0),
                                                                   early_stopping=True).fit(np.vstack([X] * 3), np.hstack([yc] * 3))),
        ("pipeline + ColumnTransformer", column_transformer),
        ("Bunch", lambda: importlib.import_module("sklearn.utils").Bunch(a=1)),
    ]
    each(obs, skips, extra, "sklearn model", save=obs.joblib)
    for mn in ["sklearn.metrics", "sklearn.metrics.pairwise", "sklearn.feature_selection", "sklearn.preprocessing"]:
        m = importlib.import_module(mn)
        values_of(obs, [getattr(m, n) for n in dir(m)
                        if not n.startswith("_") and callable(getattr(m, n)) and not isinstance(getattr(m, n), type)],
                  "sklearn function as a value")
    values_of(obs, [importlib.import_module("sklearn.metrics").make_scorer(
        importlib.import_module("sklearn.metrics").accuracy_score)], "sklearn scorer")
    # joblib: every compression, and the wrappers of older formats.
    import joblib
    import joblib.numpy_pickle_compat as compat

    for c in [0, 3, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("lzma", 3), ("xz", 3)]:
        obs.joblib({"a": np.ones(3), "b": np.arange(3)}, f"joblib compress={c}")
    each(obs, skips, [
        ("NDArrayWrapper", lambda: compat.NDArrayWrapper("x.npy", np.ndarray, allow_mmap=False)),
        ("ZNDArrayWrapper", lambda: compat.ZNDArrayWrapper("x.z", (np.ndarray, (0,), b"b"), (1, (3,), np.dtype("f8"), False, b""))),
        ("NumpyArrayWrapper", lambda: joblib.numpy_pickle.NumpyArrayWrapper(np.ndarray, (3,), "C", np.dtype("f8"))),
    ], "joblib array wrapper")


# --- PyTorch --------------------------------------------------------------------


def lib_torch(obs, skips):
    import torch
    import torch.nn as nn

    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    tensors = [("tensor " + str(d), lambda d=d: torch.zeros(2, dtype=d)) for d in [
        torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.uint8, torch.int16,
        torch.int32, torch.int64, torch.bool, torch.complex64, torch.complex128,
        getattr(torch, "float8_e4m3fn", torch.float32), getattr(torch, "float8_e5m2", torch.float32),
        getattr(torch, "uint16", torch.int16), getattr(torch, "uint32", torch.int32), getattr(torch, "uint64", torch.int64)]]
    tensors += [
        ("Parameter", lambda: nn.Parameter(torch.ones(2))),
        ("requires_grad", lambda: torch.ones(2, requires_grad=True)),
        ("sparse_coo", lambda: t.to_sparse()),
        ("sparse_csr", lambda: t.to_sparse_csr()),
        ("sparse_csc", lambda: t.to_sparse_csc()),
        ("sparse_bsr", lambda: t.to_sparse_bsr((1, 1))),
        ("nested", lambda: torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])),
        ("quantized per tensor", lambda: torch.quantize_per_tensor(t, 0.1, 0, torch.quint8)),
        ("quantized per channel", lambda: torch.quantize_per_channel(t, torch.tensor([0.1, 0.2]), torch.tensor([0, 0]), 0, torch.qint8)),
        ("channels_last", lambda: torch.ones(1, 2, 2, 2).to(memory_format=torch.channels_last)),
        ("Size", lambda: torch.Size([2, 3])),
        ("device", lambda: torch.device("cpu")),
        ("dtype", lambda: [torch.float32, torch.int64, torch.bool, torch.bfloat16, torch.qint8, torch.quint8]),
        ("layout", lambda: [torch.strided, torch.sparse_coo, torch.sparse_csr]),
        ("memory_format", lambda: [torch.contiguous_format, torch.channels_last, torch.preserve_format]),
        ("qscheme", lambda: [torch.per_tensor_affine, torch.per_channel_affine]),
        ("storage", lambda: torch.ones(2).untyped_storage()),
        ("typed storage", lambda: torch.FloatStorage(2)),
        ("TorchVersion", lambda: torch.torch_version.TorchVersion(torch.__version__)),
        ("torch.__version__", lambda: torch.__version__),
        ("Generator", lambda: torch.Generator().manual_seed(0)),
        ("finfo", lambda: torch.finfo(torch.float32)),
    ]
    each(obs, skips, tensors, "torch object", save=obs.torch_save)

    def quantized_dynamic():
        m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.LSTM(4, 4))
        return torch.ao.quantization.quantize_dynamic(m, {nn.Linear, nn.LSTM}, dtype=torch.qint8)

    def quantized_static():
        m = nn.Sequential(torch.ao.quantization.QuantStub(), nn.Conv2d(1, 2, 1), nn.ReLU(), nn.Linear(2, 2),
                          torch.ao.quantization.DeQuantStub())
        m.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
        p = torch.ao.quantization.prepare(m)
        p(torch.ones(1, 1, 2, 2))
        return torch.ao.quantization.convert(p)

    def qat():
        m = nn.Sequential(nn.Linear(2, 2))
        m.train()
        m.qconfig = torch.ao.quantization.get_default_qat_qconfig("fbgemm")
        return torch.ao.quantization.prepare_qat(m)

    def pruned():
        import torch.nn.utils.prune as prune

        m = nn.Linear(4, 4)
        prune.l1_unstructured(m, "weight", 0.5)
        return m

    def parametrized():
        m = nn.Linear(3, 3)
        nn.utils.parametrizations.orthogonal(m)
        return m

    def weight_normed():
        return nn.utils.parametrizations.weight_norm(nn.Linear(3, 3))

    def spectral():
        return nn.utils.parametrizations.spectral_norm(nn.Linear(3, 3))

    def optim_states():
        out = []
        for name in dir(torch.optim):
            cls = getattr(torch.optim, name)
            if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer:
                try:
                    p = nn.Parameter(torch.ones(2))
                    o = cls([p], lr=0.1) if name != "LBFGS" else cls([p])
                    p.grad = torch.ones(2)
                    if name != "LBFGS":
                        o.step()
                    out.append(o.state_dict())
                    out.append(o)
                except Exception:
                    pass
        return out

    def schedulers():
        out = []
        p = nn.Parameter(torch.ones(2))
        o = torch.optim.SGD([p], lr=0.1)
        for make in [lambda: torch.optim.lr_scheduler.StepLR(o, 2), lambda: torch.optim.lr_scheduler.CosineAnnealingLR(o, 5),
                     lambda: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), lambda: torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5),
                     lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(o), lambda: torch.optim.lr_scheduler.MultiStepLR(o, [1]),
                     lambda: torch.optim.lr_scheduler.LinearLR(o), lambda: torch.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0)]:
            try:
                s = make()
                out.append(s.state_dict())
                out.append(s)
            except Exception:
                pass
        return out

    def distributions():
        D = torch.distributions
        return [D.Normal(0.0, 1.0), D.Bernoulli(0.5), D.Categorical(torch.ones(3)), D.Beta(1.0, 1.0),
                D.Gamma(1.0, 1.0), D.Dirichlet(torch.ones(3)), D.MultivariateNormal(torch.zeros(2), torch.eye(2)),
                D.Uniform(0.0, 1.0), D.Poisson(1.0), D.Laplace(0.0, 1.0), D.Independent(D.Normal(torch.zeros(2), 1.0), 1),
                D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()]),
                D.constraints.positive, D.constraints.real, D.transforms.AffineTransform(0.0, 1.0)]

    def grad_scaler():
        return torch.amp.GradScaler("cpu")

    def many_modules():
        # Every nn module that builds from small integer arguments.
        import inspect

        out = []
        for name in sorted(dir(nn)):
            cls = getattr(nn, name)
            if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
                continue
            for args in [(), (4,), (4, 4), (4, 4, 1), (4, 4, 4)]:
                try:
                    m = cls(*args)
                    out.append(m)
                    break
                except Exception:
                    continue
            _ = inspect
        return out

    models = [
        ("quantize_dynamic", quantized_dynamic),
        ("quantized static", quantized_static),
        ("prepare_qat", qat),
        ("pruned", pruned),
        ("parametrized", parametrized),
        ("weight_norm", weight_normed),
        ("spectral_norm", spectral),
        ("optimizers", optim_states),
        ("lr schedulers", schedulers),
        ("distributions", distributions),
        ("GradScaler", grad_scaler),
        ("nn modules", many_modules),
        ("state_dict", lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)).state_dict()),
        ("Transformer", lambda: nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)),
        ("TransformerEncoderLayer gelu", lambda: nn.TransformerEncoderLayer(8, 2, 8, activation="gelu")),
        ("Embedding/GRU/LSTM", lambda: nn.ModuleDict({"e": nn.Embedding(4, 2), "g": nn.GRU(2, 2), "l": nn.LSTM(2, 2), "r": nn.RNN(2, 2)})),
        ("MultiheadAttention", lambda: nn.MultiheadAttention(4, 2)),
    ]
    each(obs, skips, models, "torch model", save=obs.torch_save)

    def scripted():
        m = torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
        buf = io.BytesIO()
        torch.jit.save(m, buf)
        return buf.getvalue()

    def scriptobject_quantized():
        m = quantized_dynamic()
        return torch.jit.script(m)

    from generate import quietly
    import zipfile

    data = quietly(scripted, 120)
    if data:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                if n.endswith(".pkl"):
                    obs.data(z.read(n), "torch.jit.save: " + n.split("/")[-1])
    # A quantized module's packed params pickle as torch.ScriptObject.
    q = quietly(quantized_dynamic, 60)
    if q is not None:
        obs.torch_save(q.state_dict(), "torch model: quantized state_dict")
    _ = scriptobject_quantized
    values_of(obs, [getattr(torch.nn.functional, n) for n in dir(torch.nn.functional)
                    if not n.startswith("_") and callable(getattr(torch.nn.functional, n))],
              "torch.nn.functional as a value")
    values_of(obs, [getattr(torch.nn.init, n) for n in dir(torch.nn.init)
                    if not n.startswith("_") and callable(getattr(torch.nn.init, n))],
              "torch.nn.init as a value")
    values_of(obs, [getattr(torch, n) for n in ["relu", "tanh", "sigmoid", "exp", "log", "sqrt", "abs", "sin", "cos",
                                                "softmax", "log_softmax", "matmul", "add", "mul", "sum", "mean"]],
              "torch function as a value")


def _torch_module_save(obs, skips, items, how):
    each(obs, skips, items, how, save=obs.torch_save)


def lib_torchvision(obs, skips):
    import torchvision.models as tm
    import torchvision.transforms as T

    items = [
        ("resnet18", lambda: tm.resnet18()),
        ("mobilenet_v3_small", lambda: tm.mobilenet_v3_small()),
        ("squeezenet1_0", lambda: tm.squeezenet1_0()),
        ("vit_b_16-free", lambda: tm.shufflenet_v2_x0_5()),
        ("transforms", lambda: T.Compose([T.Resize(8), T.CenterCrop(8), T.ToTensor(), T.Normalize([0.5], [0.5])])),
        ("v2 transforms", lambda: importlib.import_module("torchvision.transforms.v2").Compose(
            [importlib.import_module("torchvision.transforms.v2").RandomHorizontalFlip()])),
        ("weights enum", lambda: tm.ResNet18_Weights.DEFAULT),
    ]
    _torch_module_save(obs, skips, items, "torchvision model")
    try:
        import torchaudio

        _torch_module_save(obs, skips, [
            ("MelSpectrogram", lambda: torchaudio.transforms.MelSpectrogram()),
            ("MFCC", lambda: torchaudio.transforms.MFCC()),
            ("wav2vec2 small", lambda: torchaudio.models.wav2vec2_model(
                extractor_mode="group_norm", extractor_conv_layer_config=[(8, 10, 5)], extractor_conv_bias=False,
                encoder_embed_dim=8, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=3, encoder_pos_conv_groups=1,
                encoder_num_layers=1, encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=8,
                encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
                encoder_layer_drop=0.0, aux_num_out=None)),
        ], "torchaudio model")
    except Exception:
        skips.append("torchaudio not importable")


def lib_timm(obs, skips):
    import timm

    _torch_module_save(obs, skips, [(n, lambda n=n: timm.create_model(n, pretrained=False)) for n in
                                    ["resnet18", "efficientnet_b0", "vit_tiny_patch16_224", "convnext_atto", "mobilenetv3_small_050"]],
                       "timm model")


def lib_ultralytics(obs, skips):
    from ultralytics.nn.tasks import ClassificationModel, DetectionModel

    items = [
        ("DetectionModel yolov8n.yaml", lambda: DetectionModel("yolov8n.yaml", verbose=False)),
        ("ClassificationModel", lambda: ClassificationModel("yolov8n-cls.yaml", verbose=False)),
    ]

    def checkpoint():
        m = DetectionModel("yolov8n.yaml", verbose=False)
        return {"model": m, "epoch": -1, "train_args": {"imgsz": 32}, "date": "2024", "version": "x"}

    items.append(("checkpoint dict", checkpoint))
    _torch_module_save(obs, skips, items, "ultralytics model")


def lib_huggingface(obs, skips):
    import torch

    def tiny_bert():
        from transformers import BertConfig, BertModel

        return BertModel(BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8,
                                    vocab_size=32, max_position_embeddings=16))

    def tiny_gpt2():
        from transformers import GPT2Config, GPT2LMHeadModel

        return GPT2LMHeadModel(GPT2Config(n_embd=8, n_layer=1, n_head=2, vocab_size=32, n_positions=16))

    def training_args():
        from transformers import TrainingArguments

        return TrainingArguments(output_dir=".", report_to=[])

    def seq2seq_args():
        from transformers import Seq2SeqTrainingArguments

        return Seq2SeqTrainingArguments(output_dir=".", report_to=[])

    def trainer_state():
        from transformers import TrainerState

        return TrainerState()

    def gen_config():
        from transformers import GenerationConfig

        return GenerationConfig(max_new_tokens=5)

    def batch_encoding():
        from transformers import BatchEncoding

        return BatchEncoding({"input_ids": torch.ones(1, 2, dtype=torch.long)})

    def tokenizer():
        from tokenizers import Tokenizer, models

        return Tokenizer(models.WordLevel({"a": 0, "[UNK]": 1}, unk_token="[UNK]"))

    def added_token():
        from tokenizers import AddedToken

        return AddedToken("x", special=True)

    def sp_processor():
        import sentencepiece as spm

        return spm.SentencePieceProcessor()

    def peft_model():
        from peft import LoraConfig, get_peft_model

        return get_peft_model(tiny_gpt2(), LoraConfig(r=2, target_modules=["c_attn"]))

    def peft_config():
        from peft import LoraConfig

        return LoraConfig(r=2, target_modules=["c_attn"])

    def accel_state():
        from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration

        return [DataLoaderConfiguration(), ProjectConfiguration()]

    def model_output():
        return tiny_bert()(torch.ones(1, 2, dtype=torch.long))

    items = [
        ("BertModel", tiny_bert), ("GPT2LMHeadModel", tiny_gpt2), ("TrainingArguments", training_args),
        ("Seq2SeqTrainingArguments", seq2seq_args), ("TrainerState", trainer_state), ("GenerationConfig", gen_config),
        ("BatchEncoding", batch_encoding), ("model output", model_output), ("tokenizers.Tokenizer", tokenizer),
        ("AddedToken", added_token), ("SentencePieceProcessor", sp_processor), ("peft model", peft_model),
        ("LoraConfig", peft_config), ("accelerate configs", accel_state),
    ]
    _torch_module_save(obs, skips, items, "huggingface object")
    # Every transformers configuration class, default-constructed.
    try:
        import transformers

        names = [n for n in dir(transformers) if n.endswith("Config") and n[0].isupper()]
        from generate import quietly

        for n in names:
            cfg = quietly(lambda: getattr(transformers, n)(), 10)
            if cfg is not None:
                obs.pickle(cfg, f"transformers config: {n}")
    except Exception:
        skips.append("transformers configs")


def lib_diffusers(obs, skips):
    def unet():
        from diffusers import UNet2DModel

        return UNet2DModel(sample_size=8, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(8, 8),
                           down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"), norm_num_groups=4)

    def scheduler():
        from diffusers import DDPMScheduler

        return DDPMScheduler()

    _torch_module_save(obs, skips, [("UNet2DModel", unet), ("DDPMScheduler", scheduler),
                                    ("FrozenDict config", lambda: scheduler().config)], "diffusers object")


def lib_sentence_transformers(obs, skips):
    def st_model():
        from sentence_transformers import SentenceTransformer, models

        return SentenceTransformer(modules=[models.Pooling(8)])

    _torch_module_save(obs, skips, [("SentenceTransformer pooling", st_model)], "sentence-transformers object")


def lib_lightning(obs, skips):
    import torch

    def checkpoint(mod):
        import lightning as L

        class M(L.LightningModule):
            def __init__(self, lr=0.1, conf=None):
                super().__init__()
                self.save_hyperparameters()
                self.layer = torch.nn.Linear(2, 1)

            def training_step(self, batch, i):
                return self.layer(batch[0]).sum()

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

        ds = torch.utils.data.TensorDataset(torch.ones(4, 2))
        dl = torch.utils.data.DataLoader(ds, batch_size=2)
        tr = L.Trainer(max_epochs=1, logger=False, enable_progress_bar=False, enable_model_summary=False,
                       default_root_dir=".", accelerator="cpu")
        conf = None
        try:
            from omegaconf import OmegaConf

            conf = OmegaConf.create({"a": 1, "b": [1, 2]})
        except Exception:
            pass
        tr.fit(M(conf=conf), dl)
        tr.save_checkpoint("ckpt.ckpt")
        return open("ckpt.ckpt", "rb").read()

    from generate import quietly

    data = quietly(lambda: checkpoint(None), 300)
    if data:
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                if n.endswith(".pkl"):
                    obs.data(z.read(n), "Lightning checkpoint")
    else:
        skips.append("lightning checkpoint")
    try:
        import torchmetrics

        _torch_module_save(obs, skips, [("Accuracy", lambda: torchmetrics.classification.BinaryAccuracy()),
                                        ("MeanSquaredError", lambda: torchmetrics.MeanSquaredError())], "torchmetrics")
    except Exception:
        skips.append("torchmetrics")


def lib_omegaconf(obs, skips):
    from omegaconf import OmegaConf

    each(obs, skips, [
        ("DictConfig", lambda: OmegaConf.create({"a": 1, "b": {"c": [1, 2.0, "x", None, True]}})),
        ("ListConfig", lambda: OmegaConf.create([1, {"a": 2}])),
        ("interpolation", lambda: OmegaConf.create({"a": 1, "b": "${a}"})),
        ("missing", lambda: OmegaConf.create({"a": "???"})),
    ], "omegaconf object", save=getattr(obs, "torch_save", None) if "torch" in sys.modules else None)


def lib_gensim(obs, skips):
    from gensim.models import Doc2Vec, FastText, LdaModel, TfidfModel, Word2Vec
    from gensim.corpora import Dictionary

    sents = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"]] * 3

    def via_save(make):
        def go():
            m = make()
            m.save("m.model")
            return open("m.model", "rb").read()
        return go

    from generate import quietly

    d = Dictionary(sents)
    corpus = [d.doc2bow(s) for s in sents]
    for label, make in [
        ("Word2Vec", lambda: Word2Vec(sents, vector_size=4, min_count=1, workers=1)),
        ("FastText", lambda: FastText(sents, vector_size=4, min_count=1, workers=1)),
        ("Doc2Vec", lambda: Doc2Vec([importlib.import_module("gensim.models.doc2vec").TaggedDocument(s, [i])
                                     for i, s in enumerate(sents)], vector_size=4, min_count=1, workers=1)),
        ("KeyedVectors", lambda: Word2Vec(sents, vector_size=4, min_count=1, workers=1).wv),
        ("Dictionary", lambda: d),
        ("TfidfModel", lambda: TfidfModel(corpus)),
        ("LdaModel", lambda: LdaModel(corpus, num_topics=2, id2word=d)),
    ]:
        data = quietly(via_save(make), 120)
        if data:
            obs.data(data, f"gensim SaveLoad: {label}")
        else:
            skips.append(f"gensim {label}")


def lib_statsmodels(obs, skips):
    import numpy as np
    import statsmodels.api as sm

    X, yc, yr = _toy()
    Xc = sm.add_constant(X)
    items = [
        ("OLS results", lambda: sm.OLS(yr, Xc).fit()),
        ("Logit results", lambda: sm.Logit(yc, Xc[:, :2]).fit(disp=0)),
        ("GLM results", lambda: sm.GLM(yr, Xc, family=sm.families.Gaussian()).fit()),
        ("WLS results", lambda: sm.WLS(yr, Xc).fit()),
        ("ARIMA results", lambda: importlib.import_module("statsmodels.tsa.arima.model").ARIMA(np.sin(np.arange(30.0)), order=(1, 0, 0)).fit()),
        ("ExponentialSmoothing", lambda: importlib.import_module("statsmodels.tsa.holtwinters").ExponentialSmoothing(np.arange(1.0, 30.0)).fit()),
        ("formula OLS", lambda: importlib.import_module("statsmodels.formula.api").ols(
            "y ~ x", data=importlib.import_module("pandas").DataFrame({"x": X[:, 0], "y": yr})).fit()),
    ]
    each(obs, skips, items, "statsmodels results")

    def saved(make):
        def go():
            make().save("r.pickle")
            return open("r.pickle", "rb").read()
        return go

    from generate import quietly

    for label, make in items[:3]:
        data = quietly(saved(make), 60)
        if data:
            obs.data(data, f"statsmodels save: {label}")


def lib_spacy(obs, skips):
    import spacy

    each(obs, skips, [
        ("blank nlp", lambda: spacy.blank("en")),
        ("Doc", lambda: spacy.blank("en")("hello world")),
        ("Vocab", lambda: spacy.blank("en").vocab),
        ("thinc model", lambda: importlib.import_module("thinc.api").Linear(2, 2)),
    ], "spacy object")


def lib_nltk(obs, skips):
    import nltk

    each(obs, skips, [
        ("PunktTrainer-free tokenizer", lambda: nltk.tokenize.punkt.PunktSentenceTokenizer()),
        ("PorterStemmer", lambda: nltk.stem.PorterStemmer()),
        ("TreebankWordTokenizer", lambda: nltk.tokenize.TreebankWordTokenizer()),
        ("FreqDist", lambda: nltk.FreqDist("abcab")),
        ("ConditionalFreqDist", lambda: nltk.ConditionalFreqDist([("a", "b")])),
        ("NaiveBayesClassifier", lambda: nltk.NaiveBayesClassifier.train([({"a": 1}, "x"), ({"a": 0}, "y")])),
        ("Tree", lambda: nltk.Tree("S", ["a"])),
        ("UnigramTagger", lambda: nltk.tag.UnigramTagger([[("a", "DT")]])),
        ("PerceptronTagger-free", lambda: nltk.tag.perceptron.AveragedPerceptron()),
    ], "nltk object")


def lib_xgboost(obs, skips):
    import xgboost as xgb

    X, yc, yr = _toy()
    each(obs, skips, [
        ("XGBClassifier", lambda: xgb.XGBClassifier(n_estimators=2).fit(X, yc)),
        ("XGBRegressor", lambda: xgb.XGBRegressor(n_estimators=2).fit(X, yr)),
        ("XGBRanker-free Booster", lambda: xgb.train({}, xgb.DMatrix(X, label=yr), 2)),
        ("XGBRFClassifier", lambda: xgb.XGBRFClassifier(n_estimators=2).fit(X, yc)),
    ], "xgboost model", save=obs.joblib)


def lib_lightgbm(obs, skips):
    import lightgbm as lgb

    X, yc, yr = _toy()
    each(obs, skips, [
        ("LGBMClassifier", lambda: lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, yc)),
        ("LGBMRegressor", lambda: lgb.LGBMRegressor(n_estimators=2, verbose=-1).fit(X, yr)),
        ("Booster", lambda: lgb.train({"verbose": -1}, lgb.Dataset(X, label=yr), 2)),
    ], "lightgbm model", save=obs.joblib)


def lib_catboost(obs, skips):
    import catboost as cb

    X, yc, yr = _toy()
    each(obs, skips, [
        ("CatBoostClassifier", lambda: cb.CatBoostClassifier(iterations=2, verbose=False, allow_writing_files=False).fit(X, yc)),
        ("CatBoostRegressor", lambda: cb.CatBoostRegressor(iterations=2, verbose=False, allow_writing_files=False).fit(X, yr)),
    ], "catboost model", save=obs.joblib)


_ = os
