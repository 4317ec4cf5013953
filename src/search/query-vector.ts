import { UserError } from '../errors.js';

/**
 * Checks a query embedding from a user (`--embedding`, the API's `embedding`): `dimension`
 * finite numbers, not all zero (a zero vector has no direction to compare by cosine).
 */
export function checkQueryVector(value: unknown, dimension: number): Float32Array {
  if (!Array.isArray(value)) throw new UserError(`the embedding must be an array of ${dimension} numbers`);
  if (value.length !== dimension) {
    throw new UserError(`the embedding has ${value.length} numbers but this index holds ${dimension}-dimensional vectors`);
  }
  const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) throw new UserError(`the embedding's element ${bad} is ${JSON.stringify(value[bad]) ?? String(value[bad])}, not a finite number`);
  const vector = Float32Array.from(value as number[]);
  if (!vector.some((v) => v !== 0)) throw new UserError('the embedding is all zeros: it has no direction to search by');
  return vector;
}

/** Parses `--embedding`: a JSON array, or an object with an `embedding` array as the API takes. */
export function parseEmbeddingJson(text: string, dimension: number): Float32Array {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`--embedding is not valid JSON (${(error as Error).message}): pass an array such as [0.1, 0, ...]`);
  }
  const embedding = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { embedding?: unknown }).embedding : value;
  return checkQueryVector(embedding, dimension);
}
