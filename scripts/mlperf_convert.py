#!/usr/bin/env python3
"""MLPerf Tiny's four float reference models (.tflite) -> dl's safetensors layout + LiteRT fixtures.

Reads each `.tflite` in MLPERF_DIR (default /work/shared/mlperf-tiny; the .tflite files are not
copied into the repository), walks its operators with LiteRT (`ai_edge_litert`, the graph as
written: `OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES`, no XNNPACK) and the flatbuffer
schema (strides, padding, fused activations), and writes into data/mlperf/:

* `<model>.safetensors`: the weights under the names dl's `network!` generates for the network
  printed below (`nn.Sequential`-style: `0.weight`, `2.body.0.weight`, `6.shortcut.0.bias`), in
  dl's layout: Linear [out, in] (TFLite's own), Conv2d [O, I, Kh, Kw] from TFLite's OHWI,
  depthwise [C*m, 1, Kh, Kw] from TFLite's [1, Kh, Kw, C*m]. The tensors are stored in the
  network's visit order, back to back, so the data section is also the raw/`io::image` layout
  (tests/mlperf_parity.rs checks this; embedded/cortex-m's build script relies on it).
* `<model>_io.safetensors`: LiteRT's float outputs (`outputs`; `logits` = the SOFTMAX input
  where the model ends in one) for N_RANDOM pseudo-random inputs made by `random_input` (the
  Rust tests make the same inputs from the same hash, so they are not stored).
  For ad01 also the real sample's windows (see `ad01_sample` below).
* `normal_id_01_00000000_hist_librosa.bin`: the real ad01 input sample, unchanged.

Prints per model: every operator with its shapes, stride, padding (TF 'same' amounts top/bottom/
left/right), fused activation, parameters and MACs, the proposed `network!` definition and the
layer-by-layer liveness bound on float32 activation memory (input and output included).

Activations: TFLite is NHWC, dl is CHW. Inputs are transposed; every Flatten/Reshape in these four
models follows a global average pool to 1x1, so no Linear's columns need permuting (checked
below: the script fails if a RESHAPE meets a map larger than 1x1).

Usage: python3 scripts/mlperf_convert.py [--check]   (--check: compare, do not write)
"""
import json
import os
import shutil
import struct
import sys

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter, OpResolverType

SRC = os.environ.get("MLPERF_DIR", "/work/shared/mlperf-tiny")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mlperf")
SAMPLE = "normal_id_01_00000000_hist_librosa.bin"
MODELS = [
    # (dl name, file, random-input generator description)
    ("ad01", "ad01_fp32.tflite"),
    ("kws01", "kws_ref_model_float32.tflite"),
    ("vww01", "vww_96_float.tflite"),
    ("ic01", "pretrainedResnet.tflite"),
]
N_RANDOM = 4
ACT = {0: None, 1: "ReLU", 3: "ReLU6"}
PAD = {0: "same", 1: "valid"}


def same_pads(size, k, s, d=1):
    """TF 'same': output ceil(size/s); the odd pixel of padding goes to the bottom/right."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2, total - total // 2


def float_model(path):
    """The .tflite's bytes with every int8 weight tensor dequantized to float32 (q * scale, exact
    in f32; zero points are 0). kws01's "float32" file stores its five CONV_2D weights as int8
    with one scale each, and LiteRT then runs hybrid kernels that also quantize the activations
    to int8 at run time; the float model dl computes is this dequantized one. Returns (bytes,
    number of tensors dequantized)."""
    import flatbuffers

    buf = open(path, "rb").read()
    model = schema.ModelT.InitFromPackedBuf(buf, 0)
    n = 0
    for sub in model.subgraphs:
        for t in sub.tensors:
            data = model.buffers[t.buffer].data
            if t.type != schema.TensorType.INT8 or data is None or len(data) == 0:
                continue
            q = np.frombuffer(bytes(np.asarray(data, dtype=np.uint8)), dtype=np.int8).reshape(t.shape)
            scale = np.asarray(t.quantization.scale, dtype=np.float32)
            assert not np.any(t.quantization.zeroPoint), "nonzero zero point"
            if scale.size > 1:
                shape = [1] * q.ndim
                shape[t.quantization.quantizedDimension] = scale.size
                scale = scale.reshape(shape)
            f = (q.astype(np.float32) * scale).astype("<f4")
            model.buffers[t.buffer].data = np.frombuffer(f.tobytes(), dtype=np.uint8)
            t.type, t.quantization = schema.TensorType.FLOAT32, None
            n += 1
    if n == 0:
        return buf, 0
    b = flatbuffers.Builder(len(buf) * 2)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output()), n


def interp(path, kind=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES, preserve=False):
    """A LiteRT interpreter for `path` (a file name, or the model's bytes)."""
    src = {"model_content": path} if isinstance(path, bytes) else {"model_path": path}
    it = Interpreter(
        **src,
        experimental_op_resolver_type=kind,
        experimental_preserve_all_tensors=preserve,
    )
    it.allocate_tensors()
    return it


class Layer:
    """One dl layer: its network! text, tensors (dl layout), output shape (C, H, W) or (N,)."""

    def __init__(self, text, out, params=(), macs=0, note=""):
        self.text, self.out, self.params, self.macs, self.note = text, out, list(params), macs, note


def hw(a, b):
    return f"{a}" if a == b else f"({a}, {b})"


def walk(name, path):
    """Operators -> list of nodes: Layer or ('residual', body, shortcut), in order."""
    it = interp(path)
    td = {t["index"]: t for t in it.get_tensor_details()}
    model = schema.ModelT.InitFromPackedBuf(path, 0)
    sub = model.subgraphs[0]
    ops = it._get_ops_details()
    assert len(ops) == len(sub.operators)
    consumers = {}
    for op in ops:
        for i in op["inputs"]:
            consumers.setdefault(int(i), []).append(op["index"])

    def get(i):
        return it.get_tensor(int(i))

    def act_of(opts):
        a = opts.fusedActivationFunction
        if a not in ACT:
            raise SystemExit(f"{name}: unsupported fused activation {a}")
        return ACT[a]

    def chw(shape):
        s = [int(v) for v in shape]
        return (s[3], s[1], s[2]) if len(s) == 4 else (s[1],)

    log = []

    def convert(op):
        """One TFLite operator -> dl layers (the op and its fused activation)."""
        opts = sub.operators[op["index"]].builtinOptions
        kind = op["op_name"]
        ins = [int(i) for i in op["inputs"] if i >= 0]
        x, y = td[ins[0]]["shape"], td[int(op["outputs"][0])]["shape"]
        out = chw(y)
        layers, desc = [], ""
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w, b = get(ins[1]), get(ins[2]) if len(ins) > 2 else None
            cin = int(x[3])
            if kind == "CONV_2D":
                o, kh, kw, i = w.shape
                groups = cin // i
                wd = np.ascontiguousarray(w.transpose(0, 3, 1, 2))  # OHWI -> OIHW
            else:
                _, kh, kw, o = w.shape
                groups = cin
                assert o == cin * opts.depthMultiplier
                wd = np.ascontiguousarray(w.transpose(3, 0, 1, 2))  # 1HW(C*m) -> (C*m)1HW
            sh, sw = opts.strideH, opts.strideW
            assert (opts.dilationHFactor, opts.dilationWFactor) == (1, 1)
            H, W = int(x[1]), int(x[2])
            if PAD[opts.padding] == "same":
                oh, pt, pb = same_pads(H, kh, sh)
                ow, pl, pr = same_pads(W, kw, sw)
            else:
                oh, ow, pt, pb, pl, pr = (H - kh) // sh + 1, (W - kw) // sw + 1, 0, 0, 0, 0
            assert (oh, ow) == out[1:], (name, op["index"], oh, ow, out)
            args = [f"{cin}", f"{o}", hw(kh, kw)]
            if (sh, sw) != (1, 1):
                args.append(f"stride = {hw(sh, sw)}")
            if pt or pb or pl or pr:
                args.append('pad = "same"')
            if groups != 1:
                args.append(f"groups = {groups}")
            text = f"Conv2d({', '.join(args)})"
            params = [("weight", wd), ("bias", b)] if b is not None else [("weight", wd)]
            if b is None:
                text = text[:-1] + ", bias = false)"
            macs = oh * ow * o * (cin // groups) * kh * kw
            desc = (f"stride {sh}x{sw}, padding {PAD[opts.padding]} (top {pt}, bottom {pb}, "
                    f"left {pl}, right {pr}), groups {groups}, activation {act_of(opts)}")
            note = f"pads t/b/l/r {pt}/{pb}/{pl}/{pr}" if pt or pb or pl or pr else "1x1"
            layers.append(Layer(text, out, params, macs, note))
        elif kind == "FULLY_CONNECTED":
            w, b = get(ins[1]), get(ins[2])
            o, i = w.shape
            layers.append(Layer(f"Linear({i}, {o})", (o,), [("weight", w), ("bias", b)], o * i))
            desc = f"activation {act_of(opts)}, weights [out {o}, in {i}] (as dl's)"
        elif kind == "AVERAGE_POOL_2D":
            assert PAD[opts.padding] == "valid"
            fh, fw, sh, sw = opts.filterHeight, opts.filterWidth, opts.strideH, opts.strideW
            args = [hw(fh, fw)]
            if (sh, sw) != (fh, fw):
                args.append(f"stride = {hw(sh, sw)}")
            layers.append(Layer(f"AvgPool2d({', '.join(args)})", out))
            desc = f"filter {fh}x{fw}, stride {sh}x{sw}, padding valid, activation {act_of(opts)}"
        elif kind == "RESHAPE":
            if len(x) == 4 and (int(x[1]), int(x[2])) != (1, 1):
                raise SystemExit(f"{name}: RESHAPE of a {x} map: the next Linear needs permuting")
            layers.append(Layer("Flatten", out))
            desc = "flatten of a 1x1 map: NHWC and CHW orders agree, no column permutation"
        elif kind == "SOFTMAX":
            assert opts.beta == 1.0
            layers.append(Layer("Softmax", out))
            desc = "beta 1"
        else:
            raise SystemExit(f"{name}: unsupported operator {kind}")
        if hasattr(opts, "fusedActivationFunction") and act_of(opts):
            layers.append(Layer(act_of(opts), out))
        shapes = ", ".join(f"{list(td[i]['shape'])}" for i in ins)
        log.append(f"  op {op['index']:2} {kind:18} in {shapes} -> {list(y)}; {desc}")
        return layers

    nodes, current, k = [], int(ops[0]["inputs"][0]), 0
    while k < len(ops):
        op = ops[k]
        users = consumers.get(current, [])
        if len(users) == 2:
            # a residual block: two branches from `current` meet at an ADD
            add = next(o for o in ops[k:] if o["op_name"] == "ADD" and any(
                _reaches(ops, consumers, current, int(t)) for t in o["inputs"]))
            branches = []
            for t in (int(v) for v in add["inputs"]):
                chain, u = [], t
                while u != current:
                    prod = next(o for o in ops if int(o["outputs"][0]) == u)
                    chain.insert(0, prod)
                    u = int(prod["inputs"][0])
                branches.append(chain)
            branches.sort(key=len, reverse=True)
            body = [layer for o in branches[0] for layer in convert(o)]
            short = [layer for o in branches[1] for layer in convert(o)]
            opts = sub.operators[add["index"]].builtinOptions
            log.append(f"  op {add['index']:2} ADD                -> {list(td[int(add['outputs'][0])]['shape'])}; "
                       f"residual: body {len(branches[0])} ops, shortcut {len(branches[1])} ops, "
                       f"activation {act_of(opts)}")
            nodes.append(("residual", body, short or None, body[-1].out))
            if act_of(opts):
                nodes.append(Layer(act_of(opts), body[-1].out))
            k = add["index"] + 1
            current = int(add["outputs"][0])
            continue
        assert int(op["inputs"][0]) == current, (name, op["index"])
        nodes.extend(convert(op))
        current = int(op["outputs"][0])
        k += 1
    return it, td, ops, nodes, log


def _reaches(ops, consumers, src, dst):
    """Is tensor dst computed from tensor src?"""
    todo, seen = [src], set()
    while todo:
        t = todo.pop()
        if t == dst:
            return True
        for o in consumers.get(t, []):
            for u in ops[o]["outputs"]:
                if int(u) not in seen:
                    seen.add(int(u))
                    todo.append(int(u))
    return False


def named(nodes, prefix="", tensors=None):
    """dl's names (network!'s names.rs): every node of a list takes the next index."""
    tensors = [] if tensors is None else tensors
    for i, n in enumerate(nodes):
        if isinstance(n, Layer):
            for pname, arr in n.params:
                tensors.append((f"{prefix}{i}.{pname}", np.asarray(arr, dtype="<f4")))
        else:
            _, body, short, _ = n
            named(body, f"{prefix}{i}.body.", tensors)
            if short:
                named(short, f"{prefix}{i}.shortcut.", tensors)
    return tensors


def text(nodes, indent="        "):
    """The network! list, one line per layer, output shape and parameters as comments."""
    lines = []
    for n in nodes:
        if isinstance(n, Layer):
            p = sum(int(np.prod(a.shape)) for _, a in n.params)
            c = f"{list(n.out)}" + (f", {p:,} params, {n.macs:,} MACs" if p else "")
            c += f", {n.note}" if n.note and "1x1" not in n.note else ""
            lines.append(f"{indent}{n.text},{' ' * max(1, 44 - len(n.text))}// {c}")
        else:
            _, body, short, out = n
            lines.append(f"{indent}residual {{")
            lines += text(body, indent + "    ")
            if short:
                lines.append(f"{indent}}} shortcut {{")
                lines += text(short, indent + "    ")
            lines.append(f"{indent}}},{' ' * 43}// {list(out)}")
    return lines


def arena_bound(it, td, ops):
    """Layer-by-layer liveness bound: at each op, the bytes of every float activation alive
    (produced earlier or the model input, still needed by this op or a later one, plus this
    op's outputs); weights (constant tensors) excluded. Returns (peak bytes, op index)."""
    produced = {int(o["outputs"][0]): o["index"] for o in ops}
    inputs = {int(d["index"]) for d in it.get_input_details()}
    last = {}
    for o in ops:
        for i in o["inputs"]:
            last[int(i)] = o["index"]
    act = set(produced) | inputs
    size = {i: int(np.prod(td[i]["shape"])) * 4 for i in act}
    best = (0, None)
    for o in ops:
        k = o["index"]
        live = [t for t in act if (t in inputs or produced[t] <= k) and last.get(t, k) >= k]
        total = sum(size[t] for t in live)
        best = max(best, (total, k))
    return best


def write_safetensors(path, tensors):
    """safetensors with the tensors' data in the given order (the visit order)."""
    header, off, blobs = {}, 0, []
    for name, arr in tensors:
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    if "--check" in sys.argv:
        old = open(path, "rb").read() if os.path.exists(path) else b""
        print(f"  {os.path.basename(path)}: {'unchanged' if old == data else 'DIFFERS'}")
    else:
        with open(path, "wb") as f:
            f.write(data)
    return len(data)


def run(it, x_nhwc):
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.set_tensor(inp["index"], x_nhwc.astype(np.float32))
    it.invoke()
    return it.get_tensor(out["index"]).copy()


def uniform(name, n):
    """tests/torchvision_parity.rs's `uniform(name, n)`: a Weyl sequence scrambled by murmur3's
    finaliser, in [-0.5, 0.5); the Rust test makes the same inputs, so they are not stored."""
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    k = (np.arange(n, dtype=np.uint64) * 2654435761 + h) & 0xFFFFFFFF
    k ^= k >> 16
    k = (k * 0x85EBCA6B) & 0xFFFFFFFF
    k ^= k >> 13
    k = (k * 0xC2B2AE35) & 0xFFFFFFFF
    k ^= k >> 16
    return k.astype(np.float64) / 4294967296.0 - 0.5


# random input k of a model: SCALE * uniform(f"{model}.input{k}", n) + OFFSET, in dl's layout
# (CHW), as f32. ad01: log-mel dB values around the real sample's mean (-28) and spread;
# kws01: MFCC-like values in [-10, 10); images in [0, 1).
INPUT_SCALE_OFFSET = {"ad01": (40.0, -28.0), "kws01": (20.0, 0.0), "vww01": (1.0, 0.5), "ic01": (1.0, 0.5)}


def random_input(name, k, chw):
    scale, offset = INPUT_SCALE_OFFSET[name]
    x = (scale * uniform(f"{name}.input{k}", int(np.prod(chw))) + offset).astype(np.float32)
    return x.reshape(chw)


def ad01_sample(it, io):
    """The real ad01 input: 102,400 bytes = 25,600 little-endian f32 = 200 frames x 128 log-mel
    bins, frame after frame. The reference (MLPerf Tiny's AD submission, after DCASE 2020's
    baseline) slides a 5-frame window one frame at a time: window w is floats [128 w, 128 w +
    640), w = 0..195 (200 - 5 + 1 = 196 windows); each window's anomaly score is the mean
    squared reconstruction error over its 640 values, and the clip's score is their mean."""
    x = np.fromfile(os.path.join(SRC, SAMPLE), dtype="<f4")
    assert x.size == 25_600
    frames = x.reshape(200, 128)
    windows = np.stack([frames[w:w + 5].reshape(640) for w in range(196)])
    ys = np.stack([run(it, w[None])[0] for w in windows])
    mse = ((ys - windows) ** 2).mean(axis=1)
    # the layout check: the same floats read bin-major (128 x 200) reconstruct far worse
    alt = x.reshape(128, 200).T
    alt_w = np.stack([alt[w:w + 5].reshape(640) for w in range(196)])
    alt_mse = ((np.stack([run(it, w[None])[0] for w in alt_w]) - alt_w) ** 2).mean(axis=1)
    keep = [0, 1, 97, 195]
    io["sample_windows"] = np.array(keep, dtype=np.float32)
    io["sample_outputs"] = ys[keep]
    io["sample_mse"] = mse.astype(np.float32)
    io["sample_score"] = np.array([mse.mean()], dtype=np.float32)
    print(f"  real sample: 196 windows, anomaly score (mean of per-window MSE) {mse.mean():.6f} "
          f"(window MSE min {mse.min():.4f}, max {mse.max():.4f}); the same bytes read "
          f"bin-major instead: {alt_mse.mean():.4f} (so frame-major is the layout)")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, file in MODELS:
        original = os.path.join(SRC, file)
        path, dequantized = float_model(original)
        it, td, ops, nodes, log = walk(name, path)
        inp = it.get_input_details()[0]["shape"]
        n_in = int(np.prod(inp))
        print(f"== {name}: {file}, input {list(inp)} (NHWC); {dequantized} int8 weight tensors "
              f"dequantized to float32")
        print("\n".join(log))
        tensors = named(nodes)
        params = sum(int(a.size) for _, a in tensors)
        # the .tflite's own count: every float tensor an operator reads that no operator writes
        # and that is not the model's input (weights, biases; RESHAPE's int32 shape excluded)
        made = {int(o["outputs"][0]) for o in ops} | {int(d["index"]) for d in it.get_input_details()}
        consts = {int(i) for op in ops for i in op["inputs"] if i >= 0 and int(i) not in made
                  and td[int(i)]["dtype"] == np.float32}
        tfl = sum(int(np.prod(td[i]["shape"])) for i in consts)
        assert params == tfl, (params, tfl)
        macs = sum(n.macs for n in _leaves(nodes))
        peak, at = arena_bound(it, td, ops)
        c, *hwd = (inp[3], inp[1], inp[2]) if len(inp) == 4 else (inp[1],)
        dims = ", ".join(str(int(v)) for v in (c, *hwd))
        print(f"  parameters {params:,} (the .tflite's constant tensors: {tfl:,}), weight bytes "
              f"{4 * params:,}, MACs {macs:,}")
        print(f"  activation bound (liveness, float32, input and output included): {peak:,} B at op {at}")
        print(f"  network! (names: {', '.join(n for n, _ in tensors[:3])}, ...):")
        print(f"    pub struct {name.capitalize()}: [{dims}] {{")
        print("\n".join(text(nodes)))
        print("    }")
        st = write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors)
        # fixtures: random inputs (CHW for dl), LiteRT's outputs (and logits)
        pre = interp(path, preserve=True)
        soft = ops[-1]["op_name"] == "SOFTMAX"
        chw = (int(inp[3]), int(inp[1]), int(inp[2])) if len(inp) == 4 else (int(inp[1]),)
        xs = np.stack([random_input(name, k, chw) for k in range(N_RANDOM)])
        if len(inp) == 4:
            xs = xs.transpose(0, 2, 3, 1)  # CHW -> HWC for LiteRT
        ys, logits = [], []
        for x in xs:
            ys.append(run(pre, x[None])[0])
            if soft:
                logits.append(pre.get_tensor(int(ops[-1]["inputs"][0]))[0].copy())
        # the delegated (XNNPACK) and reference-kernel interpreters, for the record
        others = [("XNNPACK", path, OpResolverType.AUTO), ("reference kernels", path, OpResolverType.BUILTIN_REF)]
        if dequantized:
            others.append(("the unmodified file (hybrid int8 kernels)", original,
                           OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
        for label, p, kind in others:
            other = interp(p, kind)
            d = max(float(np.abs(run(other, x[None])[0] - y).max()) for x, y in zip(xs, ys))
            print(f"  LiteRT builtin kernels vs {label}: max |difference| {d:.3g}")
        io = {"outputs": np.stack(ys)}
        if soft:
            io["logits"] = np.stack(logits)
        if name == "ad01":
            ad01_sample(it, io)
        write_safetensors(os.path.join(OUT, f"{name}_io.safetensors"),
                          [(k, np.ascontiguousarray(v, dtype=np.float32)) for k, v in io.items()])
        print(f"  wrote {name}.safetensors ({st:,} B) and {name}_io.safetensors\n")
    if "--check" not in sys.argv:
        shutil.copyfile(os.path.join(SRC, SAMPLE), os.path.join(OUT, SAMPLE))


def _leaves(nodes):
    for n in nodes:
        if isinstance(n, Layer):
            yield n
        else:
            yield from _leaves(n[1])
            yield from _leaves(n[2] or [])


if __name__ == "__main__":
    main()
