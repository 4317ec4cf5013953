/**
 * TensorBoard projector files, in the layout torch's SummaryWriter.add_embedding wrote for the
 * original: `projector_config.pbtxt` pointing at `00000/default/{tensors,metadata}.tsv`, so that
 * `tensorboard --logdir MODEL_DIR` and projector.tensorflow.org load the embeddings.
 */
import { MODEL_FILES } from './types.js';

export function projectorConfig(): string {
  return [
    'embeddings {',
    '  tensor_name: "default:00000"',
    `  tensor_path: "${MODEL_FILES.tensors}"`,
    `  metadata_path: "${MODEL_FILES.metadata}"`,
    '}',
    '',
  ].join('\n');
}

/**
 * One embedding as a tensors.tsv line. Each float32 prints as the shortest decimal that reads back
 * to the same float32 bits, so equal vectors give equal lines and a reload is exact.
 */
export function tensorLine(vector: Float32Array): string {
  return Array.from(vector, shortestFloat32).join('\t');
}

function shortestFloat32(value: number): string {
  // Nine significant digits always read back to the same float32; fewer usually do.
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return String(shorter);
  }
  return String(Number(value.toPrecision(9)));
}

export function parseTensorLine(line: string, dimension: number, where: string): Float32Array {
  const fields = line.split('\t');
  const vector = new Float32Array(fields.map(Number));
  if (fields.length !== dimension || vector.some((v) => !Number.isFinite(v))) {
    throw new Error(`${where}: expected ${dimension} tab-separated numbers`);
  }
  return vector;
}

/** A single-column metadata.tsv has no header; a tab or line break inside a label would split it. */
export function metadataLine(label: string): string {
  return label.replace(/[\t\r\n]/g, ' ');
}
