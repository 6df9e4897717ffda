"""Writes the ONNX models of the conformance run (bench/onnx_conformance.sh).

    python onnx_conformance.py OUT

OUT/onnx-cases/      every node and model test case of the installed `onnx`
                     (its backend test generator, as `cmd_tools generate-data`
                     writes them, node cases included)
OUT/converters/      models written by the real converters and tools:
                     skl2onnx, onnxruntime's optimizer, onnxruntime-extensions
                     (custom-op graphs, Python ops registered with @onnx_op,
                     pre/post-processing pipelines), onnx.helper features that
                     the test cases lack (local functions with default
                     attributes, training info, sparse initializers, external
                     data), onnx.compose and the version converter.

Run with the pinned venv of onnx_conformance.sh. Benign models only: nothing
here carries code. Prints how many models each source wrote.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore")
OUT = sys.argv[1]
counts: dict[str, int] = {}


def save(source: str, name: str, model: onnx.ModelProto, **kw) -> None:
    d = os.path.join(OUT, "converters", source)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, name + ".onnx"), **kw)
    counts[source] = counts.get(source, 0) + 1


def onnx_cases() -> None:
    import onnx.backend.test.case.model as model_cases
    import onnx.backend.test.case.node as node_cases

    n = 0
    for cases in (node_cases.collect_testcases(None), model_cases.collect_testcases()):
        for case in cases:
            if case.model is None:  # "real" cases name a download
                continue
            d = os.path.join(OUT, "onnx-cases", case.kind, case.name)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "model.onnx"), "wb") as f:
                f.write(case.model.SerializeToString())
            n += 1
    counts["onnx-cases"] = n


def skl() -> None:
    from skl2onnx import to_onnx
    from sklearn import cluster, decomposition, ensemble, linear_model, naive_bayes, neighbors, neural_network
    from sklearn import preprocessing, svm, tree
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    rng = np.random.RandomState(0)
    X = rng.rand(60, 4).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 1).astype(np.int64)
    yr = X.sum(axis=1)
    models = {
        "logreg": linear_model.LogisticRegression(max_iter=200).fit(X, y),
        "linreg": linear_model.LinearRegression().fit(X, yr),
        "ridge": linear_model.Ridge().fit(X, yr),
        "sgd": linear_model.SGDClassifier(random_state=0).fit(X, y),
        "tree": tree.DecisionTreeClassifier(random_state=0).fit(X, y),
        "tree_reg": tree.DecisionTreeRegressor(random_state=0).fit(X, yr),
        "forest": ensemble.RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
        "gbm": ensemble.GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y),
        "hgb": ensemble.HistGradientBoostingClassifier(max_iter=5).fit(X, y),
        "adaboost": ensemble.AdaBoostClassifier(n_estimators=5, random_state=0).fit(X, y),
        "iforest": ensemble.IsolationForest(n_estimators=5, random_state=0).fit(X),
        "svc": svm.SVC(probability=True, random_state=0).fit(X, y),
        "svr": svm.SVR().fit(X, yr),
        "knn": neighbors.KNeighborsClassifier(3).fit(X, y),
        "gnb": naive_bayes.GaussianNB().fit(X, y),
        "mlp": neural_network.MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, y),
        "kmeans": cluster.KMeans(3, n_init=2, random_state=0).fit(X),
        "pca": decomposition.PCA(2).fit(X),
        "scaler_pipeline": make_pipeline(preprocessing.StandardScaler(), linear_model.LogisticRegression()).fit(X, y),
        "binarizer": preprocessing.Binarizer().fit(X),
    }
    for name, m in models.items():
        opts = {id(m): {"zipmap": False}} if name in ("logreg", "forest") else None
        try:
            save("skl2onnx", name, to_onnx(m, X[:1], target_opset=17, options=opts))
        except Exception as e:  # a converter bug with these pins: reported, not fatal
            print(f"  skl2onnx {name}: {type(e).__name__}: {str(e)[:120]}", file=sys.stderr)
    # zipmap output (ai.onnx.ml ZipMap with string/int labels), label encoder, one-hot on strings.
    save("skl2onnx", "logreg_zipmap", to_onnx(models["logreg"], X[:1], target_opset=17))
    labels = np.array(["cat", "dog", "cat", "bird"])
    save(
        "skl2onnx",
        "label_encoder",
        to_onnx(preprocessing.LabelEncoder().fit(labels), labels, target_opset={"": 17, "ai.onnx.ml": 2}),
    )
    cats = np.array([["a", "x"], ["b", "y"], ["a", "y"]], dtype=object)
    save("skl2onnx", "onehot", to_onnx(preprocessing.OneHotEncoder().fit(cats), cats, target_opset=17))
    text = np.array(["the cat sat", "import os is a phrase", "lambda calculus", "def of a word"]).reshape(-1, 1)
    for name, vec in (("count_vectorizer", CountVectorizer()), ("tfidf", TfidfVectorizer())):
        vec.fit(text.ravel())
        save("skl2onnx", name, to_onnx(vec, text, target_opset=17))

    ct = ColumnTransformer([("num", preprocessing.StandardScaler(), [0, 1]), ("pass", "passthrough", [2, 3])])
    save("skl2onnx", "column_transformer", to_onnx(make_pipeline(ct, tree.DecisionTreeClassifier()).fit(X, y), X[:1]))


def ort_optimized() -> None:
    import onnxruntime as ort

    ort.set_default_logger_severity(3)
    src = os.path.join(OUT, "converters", "skl2onnx")
    inputs = [os.path.join(OUT, "converters", "helper", "convnet.onnx")]
    inputs += [os.path.join(src, f) for f in sorted(os.listdir(src))]
    for path in inputs:
        for level, tag in ((ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "ext"), (ort.GraphOptimizationLevel.ORT_ENABLE_ALL, "all")):
            d = os.path.join(OUT, "converters", "onnxruntime-optimized")
            os.makedirs(d, exist_ok=True)
            so = ort.SessionOptions()
            so.graph_optimization_level = level
            so.optimized_model_filepath = os.path.join(d, f"{os.path.basename(path)[:-5]}_{tag}.onnx")
            try:
                ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
                counts["onnxruntime-optimized"] = counts.get("onnxruntime-optimized", 0) + 1
            except Exception as e:  # a converter output ORT cannot load is not ours to judge
                print(f"  onnxruntime could not optimize {path}: {str(e)[:100]}", file=sys.stderr)


def extensions() -> None:
    from onnxruntime_extensions import PyCustomOpDef, onnx_op
    from onnxruntime_extensions._cuops import SingleOpGraph

    opset = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.contrib", 1)]

    def model_of(graph: onnx.GraphProto) -> onnx.ModelProto:
        return helper.make_model(graph, opset_imports=opset, ir_version=8)

    vocab = os.path.join(OUT, "vocab.txt")
    with open(vocab, "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "import", "def", "lambda", "class", "the", "##s"]))
    builds = {
        "bert_tokenizer": ("BertTokenizer", {"vocab_file": vocab, "do_lower_case": 1}),
        "string_mapping": ("StringMapping", {"map": "import\tfrom\nlambda\tdef"}),
        "vector_to_string": ("VectorToString", {"map": "a\t0\nb\t1", "unk": "<unk>"}),
        "masked_fill": ("MaskedFill", {}),
        "segment_extraction": ("SegmentExtraction", {}),
        "gaussian_blur": ("GaussianBlur", {}),
        "image_decoder": ("ImageDecoder", {}),
        "stft_norm": ("StftNorm", {}),
        "bpe_decoder": ("BpeDecoder", {"id_vocab": "a\nb\nc", "all_special_ids": "0"}),
    }
    for name, (op, attrs) in builds.items():
        try:
            save("onnxruntime-extensions", name, model_of(SingleOpGraph.build_graph(op, **attrs)))
        except Exception as e:
            print(f"  onnxruntime-extensions {op}: {str(e)[:100]}", file=sys.stderr)

    # A Python op as the library's users write one: the function lives in their
    # code; the model names it (domain ai.onnx.contrib) and passes attributes.
    @onnx_op(op_type="ReverseMatrix", inputs=[PyCustomOpDef.dt_float], attrs={"mode": PyCustomOpDef.dt_string})
    def reverse_matrix(x, mode):
        return np.flip(x, axis=0).copy()

    g = helper.make_graph(
        [helper.make_node("ReverseMatrix", ["x"], ["y"], domain="ai.onnx.contrib", mode="rows")],
        "pyop_user",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
    )
    save("onnxruntime-extensions", "registered_python_op_no_code", model_of(g))

    try:
        from onnxruntime_extensions.tools.pre_post_processing import (
            ChannelsLastToChannelsFirst,
            ConvertImageToBGR,
            Normalize,
            PrePostProcessor,
            Resize,
            ImageBytesToFloat,
            Unsqueeze,
            create_named_value,
        )

        inputs = [create_named_value("image", onnx.TensorProto.UINT8, ["num_bytes"])]
        pipeline = PrePostProcessor(inputs, 17)
        pipeline.add_pre_processing(
            [ConvertImageToBGR(), Resize(32), ChannelsLastToChannelsFirst(), ImageBytesToFloat(), Normalize([(0.5, 0.5)] * 3), Unsqueeze([0])]
        )
        conv = onnx.load(os.path.join(OUT, "converters", "helper", "convnet.onnx"))
        conv.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "h"
        conv.graph.input[0].type.tensor_type.shape.dim[3].dim_param = "w"
        save("onnxruntime-extensions", "image_pre_processing", pipeline.run(conv))
    except Exception as e:
        print(f"  pre/post processing pipeline: {str(e)[:160]}", file=sys.stderr)


def helper_features() -> None:
    # A small convolution net (the optimizer turns it into NCHWc layout and fused ops).
    w = numpy_helper.from_array(np.random.RandomState(1).rand(8, 3, 3, 3).astype(np.float32), "w")
    b = numpy_helper.from_array(np.zeros(8, np.float32), "b")
    g = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c"], ["r"]),
            helper.make_node("GlobalAveragePool", ["r"], ["y"]),
        ],
        "convnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 1, 1])],
        [w, b],
    )
    conv = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    save("helper", "convnet", conv)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    # Local function with a default attribute (FunctionProto.attribute_proto),
    # a tensor-valued default, and a nested If in its body.
    then_g = helper.make_graph([helper.make_node("Identity", ["a"], ["t"])], "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["a"], ["e"])], "else", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    fn = helper.make_function(
        "local.fns",
        "ScaleOrNeg",
        ["a", "flag"],
        ["out"],
        [
            helper.make_node("If", ["flag"], ["o1"], then_branch=then_g, else_branch=else_g),
            helper.make_node("Constant", [], ["k"], value_float=2.0),
            helper.make_node("Mul", ["o1", "k"], ["out"]),
        ],
        [helper.make_opsetid("", 17)],
        attributes=["unused"],
    )
    default = helper.make_attribute("mode", "scale")
    default_t = helper.make_attribute("table", numpy_helper.from_array(np.array([b"lambda", b"import"], dtype=object)))
    fn.attribute_proto.extend([default, default_t])
    flag = numpy_helper.from_array(np.array(True), "flag")
    g = helper.make_graph([helper.make_node("ScaleOrNeg", ["x", "flag"], ["y"], domain="local.fns")], "with_functions", [x], [y], [flag])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local.fns", 1)], functions=[fn], ir_version=9)
    save("helper", "local_function", m)

    # Training info: initialization and algorithm graphs.
    w = numpy_helper.from_array(np.ones(2, np.float32), "w")
    g = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["y"])], "train_me", [x], [y], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.preview.training", 1)], ir_version=8)
    algo = helper.make_graph(
        [helper.make_node("Add", ["w", "w"], ["w_new"])], "algo", [], [helper.make_tensor_value_info("w_new", TensorProto.FLOAT, [2])]
    )
    init = helper.make_graph(
        [helper.make_node("Constant", [], ["w_init"], value=numpy_helper.from_array(np.zeros(2, np.float32)))],
        "init",
        [],
        [helper.make_tensor_value_info("w_init", TensorProto.FLOAT, [2])],
    )
    ti = helper.make_training_info(algo, [("w", "w_new")], init, [("w", "w_init")])
    m.training_info.append(ti)
    save("helper", "training_info", m)

    # Sparse initializer and sparse/tensor/graphs attributes, type protos in attributes.
    vals = numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "sp")
    idx = numpy_helper.from_array(np.array([0, 3], np.int64), "sp_idx")
    sp = helper.make_sparse_tensor(vals, idx, [4])
    g = helper.make_graph(
        [helper.make_node("Constant", [], ["c"], sparse_value=sp), helper.make_node("Identity", ["c"], ["y"])],
        "sparse",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        sparse_initializer=[helper.make_sparse_tensor(numpy_helper.from_array(np.array([5.0], np.float32), "s2"), numpy_helper.from_array(np.array([1], np.int64)), [3])],
    )
    save("helper", "sparse", helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    seq = helper.make_node("SequenceEmpty", [], ["s"], dtype=TensorProto.FLOAT)
    tp = helper.make_attribute("tp", helper.make_tensor_type_proto(TensorProto.FLOAT, [2, 3]))
    node = helper.make_node("Identity", ["x"], ["y"])
    node.attribute.append(tp)  # unusual but well-formed: a TYPE_PROTO attribute
    g = helper.make_graph([seq, node], "typeprotos", [x], [y])
    save("helper", "type_proto_attribute", helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))

    # External data beside the model (as torch.onnx.export writes past 2 GB).
    big = numpy_helper.from_array(np.arange(4096, dtype=np.float32), "big")
    g = helper.make_graph([helper.make_node("Add", ["x", "big"], ["y"])], "ext", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4096])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4096])], [big])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    save("helper", "external_data", m, save_as_external_data=True, location="external_data.onnx.data", size_threshold=1024)

    # Shape inference, version conversion, compose.
    conv = onnx.load(os.path.join(OUT, "converters", "helper", "convnet.onnx"))
    save("helper", "convnet_inferred", onnx.shape_inference.infer_shapes(conv))
    from onnx import compose, version_converter

    save("helper", "convnet_v19", version_converter.convert_version(conv, 19))
    save("helper", "convnet_prefixed", compose.add_prefix(conv, "a_"))
    # A big model split over many nodes: a graph of 20 000 nodes.
    nodes = [helper.make_node("Relu", [f"t{i}" if i else "x"], [f"t{i + 1}"]) for i in range(20000)]
    nodes.append(helper.make_node("Identity", ["t20000"], ["y"]))
    g = helper.make_graph(nodes, "long", [x], [y])
    save("helper", "twenty_thousand_nodes", helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))


for step in (onnx_cases, skl, helper_features, ort_optimized, extensions):
    try:
        step()
    except Exception as e:
        import traceback

        traceback.print_exc()
        print(f"{step.__name__} failed: {type(e).__name__}: {e}", file=sys.stderr)
for k, v in counts.items():
    print(f"{k}: {v}")
