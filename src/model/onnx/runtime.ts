import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CLIP_SAMPLES } from '../../audio/clip.js';
import { UserError } from '../../errors.js';

/**
 * Session settings measured on the 2-core machine (bench/encoder.bench.ts): all graph
 * optimisations (conv + activation fusion, NCHWc layouts), one intra-op thread per core (2 here), and
 * threads that sleep rather than spin between operators: the machine is shared (the HTTP server's
 * event loop, other jobs), and spin-waiting measured up to 2× slower there under load.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: availableParallelism(),
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** An encoder.onnx (see graph.ts) run by onnxruntime-node: wavs in, embeddings out. */
export class OnnxEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly dimension: number,
  ) {}

  static async load(pathOrBytes: string | Uint8Array, options: ort.InferenceSession.SessionOptions = SESSION_OPTIONS): Promise<OnnxEncoder> {
    const source = typeof pathOrBytes === 'string' ? pathOrBytes : 'the encoder bytes';
    let bytes: Uint8Array;
    try {
      bytes = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
    } catch (error) {
      throw new UserError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, options);
    } catch (error) {
      throw new UserError(`${source} is not an ONNX model onnxruntime can load (${(error as Error).message.split('\n')[0]}): rebuild it with boiler index`);
    }
    const dimension = embeddingDimension(session);
    if (dimension === undefined) {
      await session.release();
      throw new UserError(`${source} is not a boiler encoder (it needs input wav and output embedding (N, D)): rebuild it with boiler index`);
    }
    return new OnnxEncoder(session, dimension);
  }

  /** wavs: count × 2**17 floats, row-major (loadClip output concatenated). Returns count × dimension floats. */
  async embed(wavs: Float32Array, count: number): Promise<Float32Array> {
    if (!Number.isInteger(count) || count < 0 || wavs.length !== count * CLIP_SAMPLES) {
      throw new RangeError(`embed expects ${count} × ${CLIP_SAMPLES} samples, got ${wavs.length}`);
    }
    if (count === 0) return new Float32Array(0);
    const { embedding } = await this.session.run({ wav: new ort.Tensor('float32', wavs, [count, 1, CLIP_SAMPLES]) }, ['embedding']);
    return embedding.data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function embeddingDimension(session: ort.InferenceSession): number | undefined {
  if (!session.inputNames.includes('wav') || !session.outputNames.includes('embedding')) return undefined;
  const meta = session.outputMetadata.find((m) => m.name === 'embedding');
  if (!meta?.isTensor || meta.shape.length !== 2) return undefined;
  const dimension = meta.shape[1];
  return typeof dimension === 'number' && dimension > 0 ? dimension : undefined;
}
