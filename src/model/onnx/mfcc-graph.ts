import { MEL } from '../../audio/mel.js';
import { dctBasis, MFCC_COEFFICIENTS } from '../../eval/mfcc.js';
import { MFCC_ENCODER } from '../encoders.js';
import { attr, GraphBuilder } from './builder.js';
import { logMelGraph } from './frontend.js';
import { encodeModel } from './proto.js';

/** Its embedding: each coefficient's mean over frames, then its standard deviation. */
export const MFCC_DIMENSION = 2 * MFCC_COEFFICIENTS;

/** ONNX operator set 17, as the checkpoint encoders (ReduceMean still takes its axes as an attribute). */
const OPSET = 17;

/**
 * The MFCC statistics of src/eval/mfcc.ts as an encoder.onnx: wav (N, 1, 2**17) → boiler's log-mel
 * (the checkpoint encoders' front end), the orthonormal DCT-II over mel bands to 20 coefficients
 * per frame, then each coefficient's mean and population standard deviation over frames: (N, 40).
 */
export function buildMfccOnnx(): Uint8Array {
  const g = new GraphBuilder();
  const batch = 'N';
  const wav = g.input({ name: 'wav', type: 'float', shape: [batch, 1, MEL.samples] });
  const mel = logMelGraph(g, wav);
  const dct = g.constant('dct', [MFCC_COEFFICIENTS, MEL.nMels], Float32Array.from(dctBasis(MFCC_COEFFICIENTS, MEL.nMels)));
  // (coefficient, mel) × (N, 1, mel, frame) → (N, 1, coefficient, frame).
  const coefficients = g.op('MatMul', [dct, mel], {}, 'mfcc');
  const overFrames = (input: string, name: string) => g.op('ReduceMean', [input], { axes: attr.ints([3]), keepdims: attr.int(1) }, name);
  const mean = overFrames(coefficients, 'mfcc_mean');
  const centred = g.op('Sub', [coefficients, mean], {}, 'mfcc_centred');
  const variance = overFrames(g.op('Mul', [centred, centred], {}, 'mfcc_centred_squared'), 'mfcc_variance');
  const std = g.op('Sqrt', [variance], {}, 'mfcc_std');
  const flat = (input: string, name: string) => g.op('Reshape', [input, g.ints(`${name}_shape`, [0, MFCC_COEFFICIENTS])], {}, name);
  const embedding = g.op('Concat', [flat(mean, 'mean_flat'), flat(std, 'std_flat')], { axis: attr.int(1) }, 'mfcc_statistics');
  g.output(embedding, { name: 'embedding', type: 'float', shape: [batch, MFCC_DIMENSION] });
  return encodeModel({ opset: OPSET, producer: 'boiler', graph: g.graph(MFCC_ENCODER), metadata: { encoder: MFCC_ENCODER, dimension: String(MFCC_DIMENSION) } });
}
