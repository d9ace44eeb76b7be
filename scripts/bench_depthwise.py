"""Depthwise 3×3 convolution (64 channels, stride 1, padding 1, bias) on one 64×48×48 sample,
inference on one thread: LiteRT (XNNPACK, the default delegate), onnxruntime, PyTorch and dl
(`examples/bench_depthwise.rs`), timed in the same run, in alternating rounds so a change in
the machine's load hits every runtime alike.

The one-layer .tflite is written with the flatbuffer schema shipped in `ai-edge-litert`
(no converter needed): NHWC input [1, 48, 48, 64], DEPTHWISE_CONV_2D with filter [1, 3, 3, 64],
padding SAME (= 1 on each side for a 3×3 kernel at stride 1). All four get the same weights,
and their outputs are checked against PyTorch's before timing.

Run: python3 scripts/bench_depthwise.py [rounds]   (builds the Rust example first)
"""
import os
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
C, H, W = 64, 48, 48


def tflite_model(weight, bias):
    """A .tflite flatbuffer with one float DEPTHWISE_CONV_2D; weight [C, 1, 3, 3] (PyTorch)."""
    import flatbuffers
    import ai_edge_litert.schema_py_generated as s

    def buf(a=None):
        b = s.BufferT()
        if a is not None:
            b.data = np.frombuffer(np.ascontiguousarray(a, dtype=np.float32).tobytes(), np.uint8)
        return b

    def tensor(name, shape, buffer):
        t = s.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), list(shape), s.TensorType.FLOAT32, buffer
        return t

    w_tfl = weight.reshape(C, 3, 3).transpose(1, 2, 0).reshape(1, 3, 3, C)  # [1, KH, KW, C·M]
    model = s.ModelT()
    model.version = 3
    model.buffers = [buf(), buf(), buf(w_tfl), buf(bias), buf()]
    sg = s.SubGraphT()
    sg.tensors = [tensor("x", (1, H, W, C), 1), tensor("w", (1, 3, 3, C), 2),
                  tensor("b", (C,), 3), tensor("y", (1, H, W, C), 4)]
    sg.inputs, sg.outputs = [0], [3]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1, 2], [3]
    opt = s.DepthwiseConv2DOptionsT()
    opt.padding, opt.strideW, opt.strideH, opt.depthMultiplier = s.Padding.SAME, 1, 1, 1
    opt.dilationWFactor, opt.dilationHFactor = 1, 1
    opt.fusedActivationFunction = s.ActivationFunctionType.NONE
    op.builtinOptionsType, op.builtinOptions = s.BuiltinOptions.DepthwiseConv2DOptions, opt
    sg.operators = [op]
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.DEPTHWISE_CONV_2D
    code.version = 1
    model.operatorCodes, model.subgraphs = [code], [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def onnx_model(weight, bias):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=C, kernel_shape=[3, 3],
                            pads=[1, 1, 1, 1], strides=[1, 1])
    g = helper.make_graph([node], "dw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, H, W])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, C, H, W])],
                          [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString()


def median_ms(f, secs):
    """Median ms per call over ~secs, each sample ≥ 2 ms (as examples/common/bench.rs)."""
    t0, warm = time.perf_counter(), 0
    while warm < 3 or time.perf_counter() - t0 < 0.15 * secs:
        f()
        warm += 1
    once = (time.perf_counter() - t0) / warm
    inner = max(1, int(np.ceil(2e-3 / once)))
    samples = int(min(301, max(15, secs / (once * inner))))
    ts = []
    for _ in range(samples):
        s0 = time.perf_counter()
        for _ in range(inner):
            f()
        ts.append((time.perf_counter() - s0) * 1e3 / inner)
    return float(np.median(ts))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    secs = float(os.environ.get("DL_BENCH_SECS", "2"))
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bench_depthwise"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "examples", "bench_depthwise")

    torch.manual_seed(0)
    torch.set_num_threads(1)
    conv = torch.nn.Conv2d(C, C, 3, padding=1, groups=C).eval()
    x = torch.randn(1, C, H, W)
    with torch.no_grad():
        want = conv(x).numpy()
    weight, bias = conv.weight.detach().numpy(), conv.bias.detach().numpy()

    from ai_edge_litert.interpreter import Interpreter
    tfl = Interpreter(model_content=tflite_model(weight, bias), num_threads=1)
    tfl.allocate_tensors()
    xi, yi = tfl.get_input_details()[0]["index"], tfl.get_output_details()[0]["index"]
    tfl.set_tensor(xi, np.ascontiguousarray(x.numpy().transpose(0, 2, 3, 1)))
    tfl.invoke()
    got = tfl.get_tensor(yi).transpose(0, 3, 1, 2)
    assert np.abs(got - want).max() < 1e-4, "LiteRT output differs from PyTorch's"

    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    sess = ort.InferenceSession(onnx_model(weight, bias), so, providers=["CPUExecutionProvider"])
    xn = x.numpy()
    assert np.abs(sess.run(None, {"x": xn})[0] - want).max() < 1e-4, "onnxruntime differs"

    def run_tfl():
        tfl.invoke()

    def run_ort():
        sess.run(None, {"x": xn})

    def run_torch():
        with torch.no_grad():
            conv(x)

    names = ["litert", "onnxruntime", "torch", "dl_depthwise", "dl_depthwise_network", "dl_grouped32"]
    res = {n: [] for n in names}
    env = dict(os.environ, DL_BENCH_SECS=str(secs))
    for r in range(rounds):
        res["litert"].append(median_ms(run_tfl, secs))
        res["onnxruntime"].append(median_ms(run_ort, secs))
        res["torch"].append(median_ms(run_torch, secs))
        out = subprocess.run([exe], env=env, check=True, capture_output=True, text=True).stdout
        for line in out.split("\n"):
            if line.strip():
                k, v = line.split()
                res[k[:-3]].append(float(v))
        print("round", r + 1, " ".join("%s=%.4f" % (n, res[n][-1]) for n in names if res[n]), flush=True)
    print("\nms (median of each round; min–max over %d rounds), 1 thread, batch 1" % rounds)
    lite = np.median(res["litert"])
    for n in names:
        if res[n]:
            v = res[n]
            print("%-22s %.4f  (%.4f–%.4f)  %.2f× LiteRT" % (n, np.median(v), min(v), max(v), np.median(v) / lite))


if __name__ == "__main__":
    main()
