import { MEL, melBasis } from '../../audio/mel.js';
import { attr, type GraphBuilder } from './builder.js';

const N_BINS = MEL.nFft / 2 + 1;

/**
 * cos and sin rows of the windowed DFT, (2·bins, 1, nFft): a Conv with stride hop over the padded
 * signal then gives the real and imaginary parts of every frame. Computed in float64, stored in float32.
 */
function dftKernels(): Float32Array {
  const { nFft } = MEL;
  const kernels = new Float32Array(2 * N_BINS * nFft);
  for (let k = 0; k < N_BINS; k++) {
    for (let n = 0; n < nFft; n++) {
      const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / MEL.win);
      // k·n mod nFft keeps the angle small, so that float64 rounding stays far below float32's.
      const angle = (2 * Math.PI * ((k * n) % nFft)) / nFft;
      kernels[k * nFft + n] = window * Math.cos(angle);
      kernels[(N_BINS + k) * nFft + n] = window * Math.sin(angle);
    }
  }
  return kernels;
}

/**
 * The original's Audio2Mel as ONNX nodes: wav (N, 1, samples) → log10 mel (N, 1, mels, frames),
 * the NCHW image the encoder convolves.
 */
export function logMelGraph(g: GraphBuilder, wav: string): string {
  const { nFft, hop, pad, nMels } = MEL;
  const padded = g.op('Pad', [wav, g.ints('mel_pads', [0, 0, pad, 0, 0, pad])], { mode: attr.string('reflect') }, 'wav_padded');
  const spectrum = g.op('Conv', [padded, g.constant('dft', [2 * N_BINS, 1, nFft], dftKernels())], { strides: attr.ints([hop]) }, 'stft');
  const power = g.op('Mul', [spectrum, spectrum], {}, 'stft_squared');
  // Sum the squared real and imaginary halves: (N, 2, bins, frames) → (N, bins, frames).
  const halves = g.op('Reshape', [power, g.ints('stft_halves', [0, 2, N_BINS, -1])], {}, 'stft_halves');
  const magnitude = g.op('Sqrt', [g.op('ReduceSum', [halves, g.ints('stft_sum_axes', [1])], { keepdims: attr.int(0) }, 'power')], {}, 'magnitude');
  const mel = g.op('MatMul', [g.constant('mel_basis', [nMels, N_BINS], melBasis()), magnitude], {}, 'mel');
  const floored = g.op('Max', [mel, g.scalar('mel_floor', 1e-5)], {}, 'mel_floored');
  const log10 = g.op('Mul', [g.op('Log', [floored], {}, 'mel_ln'), g.scalar('inv_ln10', 1 / Math.LN10)], {}, 'log10_mel');
  return g.op('Unsqueeze', [log10, g.ints('channel_axis', [1])], {}, 'mel_image');
}
