import * as tf from '@tensorflow/tfjs';

/**
 * Convolution gradients for the tfjs wasm backend, built from its XNNPACK Conv2D.
 *
 * The wasm backend has no Conv2DBackpropFilter (so no conv filter gradients at all), and its
 * Conv2DBackpropInput — the forward pass of every transposed conv and the input gradient of every
 * conv — is a plain loop about 8× slower than its Conv2D. Both are registered here as
 * compositions of wasm kernels (Conv2D, BatchMatMul, PadV2, Slice, Transpose, Pack) and a little
 * plain JS (filter rearrangement, col2im):
 *
 * - filter gradient of a conv with stride s: a stride-1 conv with dilation s of the padded input,
 *   batch and channels swapped (input channels as the batch, the batch as channels), with the
 *   output gradient as its filter;
 * - input gradient (transposed conv) with stride s: s² stride-1 convs of the output gradient with
 *   the flipped sub-kernels W[φh::s, φw::s] (one per output phase), interleaved; or, where the
 *   output gradient is smaller than the kernel, one matmul and a col2im;
 * - matmul with a transposed operand: an explicit transpose first (wasm's transposed path is slow);
 * - long sums: in blocks, for accuracy.
 *
 * tfjs's own gradient definitions then run unchanged on wasm. Registered, over the wasm backend's
 * own kernels, when src/model/backend.ts activates that backend: the model never asks for them.
 */

type Backend = tf.KernelBackend;
type Info = tf.TensorInfo;
type Pair = [number, number];

/** Runs wasm kernels and frees every intermediate except the results handed out. */
class KernelScope {
  private readonly made: Info[] = [];
  constructor(private readonly backend: Backend) {}

  run(kernel: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
    const { kernelFunc } = tf.getKernel(kernel, 'wasm')!;
    const out = kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: this.backend }) as Info;
    this.made.push(out);
    return out;
  }

  /** Tracks a tensor made outside `run` (an upload) for disposal. */
  adopt(info: Info): Info {
    this.made.push(info);
    return info;
  }

  /** Frees every intermediate but `result`, which goes to the caller. */
  finish(result: Info): Info {
    for (const info of this.made) if (info !== result) this.backend.disposeData(info.dataId);
    return result;
  }
}

/** Pads (zeros) and crops an NHWC tensor to rows [from, from + rows) and columns [fromW, fromW + cols) of its own index space. */
function window(scope: KernelScope, x: Info, [fromH, fromW]: Pair, [rows, cols]: Pair): Info {
  const [n, h, w, c] = x.shape;
  const before: Pair = [Math.max(0, -fromH), Math.max(0, -fromW)];
  const after: Pair = [Math.max(0, fromH + rows - h), Math.max(0, fromW + cols - w)];
  let padded = x;
  if (before[0] + before[1] + after[0] + after[1] > 0) {
    const paddings = [[0, 0], [before[0], after[0]], [before[1], after[1]], [0, 0]];
    padded = scope.run('PadV2', { x }, { paddings, constantValue: 0 });
  }
  const begin = [0, fromH + before[0], fromW + before[1], 0];
  if (begin[1] === 0 && begin[2] === 0 && padded.shape[1] === rows && padded.shape[2] === cols) return padded;
  return scope.run('Slice', { x: padded }, { begin, size: [n, rows, cols, c] });
}

interface ConvGeometry {
  stride: Pair;
  /** Padding before the first row and column, as the forward conv applies it. */
  padBefore: Pair;
  kernel: Pair;
}

function geometry(inShape: number[], filterShape: number[], strides: number | number[], pad: unknown, dimRoundingMode: unknown): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as [number, number],
    1,
    pad as 'valid',
    dimRoundingMode as 'floor' | undefined,
  );
  return { stride: [info.strideHeight, info.strideWidth], padBefore: [info.padInfo.top, info.padInfo.left], kernel: [info.filterHeight, info.filterWidth] };
}

/** The attributes tfjs gives both conv gradient kernels. */
interface ConvGradientAttrs {
  strides: number | number[];
  pad: unknown;
  dimRoundingMode: unknown;
  /** Conv2DBackpropFilter's. */
  filterShape: number[];
  /** Conv2DBackpropInput's. */
  inputShape: number[];
  dataFormat: string;
}

function nhwcAttrs(kernel: string, attrs: tf.NamedAttrMap | undefined): ConvGradientAttrs {
  const parsed = attrs as unknown as ConvGradientAttrs;
  if (parsed.dataFormat !== 'NHWC') throw new Error(`${kernel} on wasm supports NHWC only, got ${parsed.dataFormat}`);
  return parsed;
}

/** dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[n, oh, ow, co]. */
function conv2DBackpropFilter({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: Backend }): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { strides, pad, dimRoundingMode, filterShape } = nhwcAttrs('Conv2DBackpropFilter', attrs);
  const { stride, padBefore, kernel } = geometry(x.shape, filterShape, strides, pad, dimRoundingMode);
  const [, outH, outW, outC] = dy.shape;
  const scope = new KernelScope(backend);
  if (kernel[0] === 1 && kernel[1] === 1 && stride[0] === 1 && stride[1] === 1 && padBefore[0] === 0 && padBefore[1] === 0) {
    // A 1×1 conv is a matmul over pixels: dW = xᵀ · dy.
    const pixels = x.shape[0] * outH * outW;
    const rows = scope.run('Transpose', { x: scope.run('Reshape', { x }, { shape: [pixels, x.shape[3]] }) }, { perm: [1, 0] });
    const product = scope.run('BatchMatMul', { a: rows, b: scope.run('Reshape', { x: dy }, { shape: [pixels, outC] }) }, { transposeA: false, transposeB: false });
    return scope.finish(scope.run('Reshape', { x: product }, { shape: filterShape }));
  }
  // The input rows and columns the forward conv read: (out − 1)·s + k of them, padding included.
  const span: Pair = [(outH - 1) * stride[0] + kernel[0], (outW - 1) * stride[1] + kernel[1]];
  const read = window(scope, x, [-padBefore[0], -padBefore[1]], span);
  const channelsAsBatch = scope.run('Transpose', { x: read }, { perm: [3, 1, 2, 0] }); // [ci, spanH, spanW, n]
  const gradAsFilter = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [outH, outW, n, co]
  const perChannel = scope.run(
    'Conv2D',
    { x: channelsAsBatch, filter: gradAsFilter },
    { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: stride, dimRoundingMode: undefined },
  ); // [ci, kh, kw, co]
  return scope.finish(scope.run('Transpose', { x: perChannel }, { perm: [1, 2, 0, 3] }));
}

interface BackpropInputArgs {
  dy: Info;
  filter: Info;
  inputShape: number[];
  geometry: ConvGeometry;
}

/** The wasm backend's own API for tensors on its heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

/** A live view of a tensor's values on the wasm heap: valid until the next allocation. */
function heapView(backend: Backend, info: Info): Float32Array {
  return (backend as unknown as WasmHeap).typedArrayFromHeap(info);
}

/** A new wasm tensor holding `values`. */
function upload(scope: KernelScope, backend: Backend, shape: number[], values: Float32Array): Info {
  const out = (backend as unknown as WasmHeap).makeOutput(shape, 'float32');
  heapView(backend, out).set(values);
  return scope.adopt(out);
}

/**
 * The taps W[φh + s·m, φw + s·m'] of filter [kh, kw, ci, co], flipped in both spatial axes and
 * with ci and co swapped: the [tapsH, tapsW, co, ci] filter of one output phase.
 */
function phaseFilter(values: Float32Array, [, kw, ci, co]: number[], stride: Pair, phase: Pair, taps: Pair): Float32Array {
  const out = new Float32Array(taps[0] * taps[1] * co * ci);
  for (let a = 0; a < taps[0]; a++) {
    const row = phase[0] + stride[0] * (taps[0] - 1 - a);
    for (let b = 0; b < taps[1]; b++) {
      const col = phase[1] + stride[1] * (taps[1] - 1 - b);
      const from = (row * kw + col) * ci * co;
      const to = (a * taps[1] + b) * co * ci;
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[to + o * ci + i] = values[from + i * co + o];
    }
  }
  return out;
}

/**
 * For the rows with (i + pad) mod s = φ only the taps kh = φ + s·m contribute, from dy rows q − m
 * where q = ⌊(i + pad)/s⌋: a stride-1 correlation of dy with the flipped taps. Each (φh, φw) gives
 * one XNNPACK conv over the same q range; interleaving them rebuilds dx.
 */
function backpropInputByPhases(scope: KernelScope, backend: Backend, { dy, filter, inputShape, geometry }: BackpropInputArgs): Info {
  const { stride, padBefore, kernel } = geometry;
  const [n, inH, inW, inC] = inputShape;
  const filterValues = heapView(backend, filter).slice();
  // q runs over ⌊pad/s⌋ … ⌊(in − 1 + pad)/s⌋ for every phase.
  const first: Pair = [Math.floor(padBefore[0] / stride[0]), Math.floor(padBefore[1] / stride[1])];
  const count: Pair = [0, 1].map((a) => Math.floor((inputShape[a + 1] - 1 + padBefore[a]) / stride[a]) - first[a] + 1) as Pair;
  const rows: Info[] = [];
  for (let phaseH = 0; phaseH < stride[0]; phaseH++) {
    const columns: Info[] = [];
    for (let phaseW = 0; phaseW < stride[1]; phaseW++) {
      const taps: Pair = [Math.ceil((kernel[0] - phaseH) / stride[0]), Math.ceil((kernel[1] - phaseW) / stride[1])];
      const [, , ci, co] = filter.shape;
      const subFilter = upload(scope, backend, [taps[0], taps[1], co, ci], phaseFilter(filterValues, filter.shape, stride, [phaseH, phaseW], taps));
      const source = window(scope, dy, [first[0] - taps[0] + 1, first[1] - taps[1] + 1], [count[0] + taps[0] - 1, count[1] + taps[1] - 1]);
      columns.push(scope.run('Conv2D', { x: source, filter: subFilter }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] }));
    }
    // Pack takes its inputs as an array. [n, countH, countW, s, ci] → [n, countH, countW·s, ci]: column q·s + φw.
    const packed = scope.run('Pack', columns as unknown as Record<string, Info>, { axis: 3 });
    rows.push(scope.run('Reshape', { x: packed }, { shape: [n, count[0], count[1] * stride[1], inC] }));
  }
  const packed = scope.run('Pack', rows as unknown as Record<string, Info>, { axis: 2 });
  const interleaved = scope.run('Reshape', { x: packed }, { shape: [n, count[0] * stride[0], count[1] * stride[1], inC] });
  // Interleaved row t' holds i = t' + first·s − pad.
  const offset: Pair = [padBefore[0] - first[0] * stride[0], padBefore[1] - first[1] * stride[1]];
  return window(scope, interleaved, offset, [inH, inW]);
}

/** Clips per matmul in the col2im path, so that its [kh·kw·ci, pixels] patch matrix stays near 32M floats. */
const PATCH_FLOATS = 32 * 2 ** 20;

/**
 * The filter times every dy pixel (one matmul, [kh·kw·ci, co] · [co, pixels], both untransposed)
 * gives the kh×kw×ci patch each pixel adds to dx; the patches are summed into place in plain JS
 * (col2im). Cheaper than the phases when dy is much smaller than the kernel (the 1×23 top grid
 * under a 21×21 kernel), where the phases' windows are mostly zeros.
 */
function backpropInputByPatches(scope: KernelScope, backend: Backend, { dy, filter, inputShape, geometry }: BackpropInputArgs): Info {
  const { stride, padBefore, kernel } = geometry;
  const [n, inH, inW, inC] = inputShape;
  const [, outH, outW, outC] = dy.shape;
  const patch = kernel[0] * kernel[1] * inC;
  const dx = new Float32Array(n * inH * inW * inC);
  const filterRows = scope.run('Reshape', { x: filter }, { shape: [patch, outC] });
  const clipsPerChunk = Math.max(1, Math.floor(PATCH_FLOATS / (outH * outW * patch)));
  for (let n0 = 0; n0 < n; n0 += clipsPerChunk) {
    const clips = Math.min(clipsPerChunk, n - n0);
    const pixels = clips * outH * outW;
    const chunk = scope.run('Slice', { x: dy }, { begin: [n0, 0, 0, 0], size: [clips, outH, outW, outC] });
    const columns = scope.run('Transpose', { x: scope.run('Reshape', { x: chunk }, { shape: [pixels, outC] }) }, { perm: [1, 0] });
    const patches = heapView(backend, scope.run('BatchMatMul', { a: filterRows, b: columns }, { transposeA: false, transposeB: false }));
    // Row (kh, kw, k) of `patches` holds, for every pixel, what it adds at one place of dx: walk
    // the rows (contiguous reads) and scatter into dx, which is the smaller of the two.
    const target = new Int32Array(pixels);
    for (let kh = 0; kh < kernel[0]; kh++) {
      for (let kw = 0; kw < kernel[1]; kw++) {
        for (let p = 0; p < pixels; p++) {
          const i = (Math.floor(p / outW) % outH) * stride[0] + kh - padBefore[0];
          const j = (p % outW) * stride[1] + kw - padBefore[1];
          const inside = i >= 0 && i < inH && j >= 0 && j < inW;
          target[p] = inside ? (((n0 + Math.floor(p / (outH * outW))) * inH + i) * inW + j) * inC : -1;
        }
        for (let k = 0; k < inC; k++) {
          const row = ((kh * kernel[1] + kw) * inC + k) * pixels;
          for (let p = 0; p < pixels; p++) if (target[p] >= 0) dx[target[p] + k] += patches[row + p];
        }
      }
    }
  }
  return upload(scope, backend, inputShape, dx);
}

/** Below this many output channels XNNPACK's conv runs at a fraction of its speed. */
const FEW_CHANNELS = 8;

/** dx[n, i, j, ci] = Σ dy[n, oh, ow, co] · W[kh, kw, ci, co] over oh·s + kh − pad = i, ow·s + kw − pad = j. */
function conv2DBackpropInput({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: Backend }): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const { strides, pad, dimRoundingMode, inputShape } = nhwcAttrs('Conv2DBackpropInput', attrs);
  const g = geometry(inputShape, filter.shape, strides, pad, dimRoundingMode);
  const scope = new KernelScope(backend);
  const args = { dy, filter, inputShape, geometry: g };
  // Patches where the phases' windows would be mostly zero padding (dy smaller than a phase's
  // taps), or where XNNPACK would produce very few channels (the decoder's 1-channel output).
  const [, outH, outW] = dy.shape;
  const sparse = outH < g.kernel[0] / g.stride[0] || outW < g.kernel[1] / g.stride[1] || g.kernel[0] < g.stride[0] || g.kernel[1] < g.stride[1];
  const narrow = inputShape[3] < FEW_CHANNELS;
  return scope.finish(sparse || narrow ? backpropInputByPatches(scope, backend, args) : backpropInputByPhases(scope, backend, args));
}

/**
 * wasm's BatchMatMul is fast only untransposed (a transposed operand takes a path ~20× slower),
 * and every matmul gradient transposes one operand: transpose explicitly, then multiply.
 */
function untransposedBatchMatMul(original: tf.KernelFunc) {
  return ({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: Backend }): Info => {
    const { a, b } = inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original({ inputs, attrs, backend }) as Info;
    const scope = new KernelScope(backend);
    const swapLast = (x: Info) => {
      const perm = x.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return scope.run('Transpose', { x }, { perm });
    };
    const product = original({
      inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b },
      attrs: { ...attrs, transposeA: false, transposeB: false },
      backend,
    }) as Info;
    return scope.finish(scope.adopt(product));
  };
}

/** Reductions shorter than this stay one sequential pass. */
const BLOCKED_SUM_FROM = 4096;

/**
 * wasm's Sum adds sequentially in float32, so summing n terms of one sign drifts by up to n·ε
 * relative: the gradient of the decoder's last bias, a sum over batch × 80 × 256 terms, came out
 * 7e-4 off its exact value. Summing blocks of about √n first brings that to about 2√n·ε, close to
 * PyTorch's cascade summation.
 */
function blockedSum(original: tf.KernelFunc) {
  return ({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: Backend }): Info => {
    const { x } = inputs as { x: Info };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const size = axes.reduce((n, a) => n * x.shape[a], 1);
    let block = Math.floor(Math.sqrt(size));
    while (size % block !== 0) block--;
    if (size < BLOCKED_SUM_FROM || block < 16 || x.dtype !== 'float32') return original({ inputs, attrs, backend }) as Info;
    const scope = new KernelScope(backend);
    const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length);
    const innermost = perm ? scope.run('Transpose', { x }, { perm }) : x;
    const kept = x.shape.filter((_, a) => !axes.includes(a));
    const outer = kept.reduce((n, d) => n * d, 1);
    const blocks = scope.run('Reshape', { x: innermost }, { shape: [outer, size / block, block] });
    const partial = scope.adopt(original({ inputs: { x: blocks }, attrs: { axis: 2, keepDims: false }, backend }) as Info);
    const total = scope.adopt(original({ inputs: { x: partial }, attrs: { axis: 1, keepDims: false }, backend }) as Info);
    const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
    return scope.finish(scope.run('Reshape', { x: total }, { shape }));
  };
}

let registered = false;

/** Replaces wasm's kernel `name` by `wrap(its original)`. */
function wrapKernel(name: string, wrap: (original: tf.KernelFunc) => (args: never) => Info): void {
  const original = tf.getKernel(name, 'wasm')!.kernelFunc;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: wrap(original) as tf.KernelFunc });
}

/** Registers the kernels above for wasm, wrapping or replacing its own; a no-op on other backends and after the first call. */
export function registerWasmConvKernels(): void {
  if (registered || tf.getBackend() !== 'wasm') return;
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as tf.KernelFunc });
  wrapKernel('BatchMatMul', untransposedBatchMatMul);
  wrapKernel('Sum', blockedSum);
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as tf.KernelFunc });
  }
  registered = true;
}
