import { randomUnitVectors, seededRandom } from '../../src/util/random.js';

export { randomUnitVectors, seededRandom };

/**
 * BagTop-like embeddings: L2-normalised histograms of `codes` draws from `vocabulary` code words,
 * with popular codes drawn more often, so that many clips share a vector exactly.
 */
export function bagOfCodesVectors(count: number, vocabulary: number, codes: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const histogram = new Float32Array(vocabulary);
    // Clips often repeat one sound: a few distinct codes, each held for a run of frames.
    const distinct = 1 + Math.floor(random() * 3);
    const palette = Array.from({ length: distinct }, () => Math.floor(random() ** 3 * vocabulary));
    for (let i = 0; i < codes; i++) histogram[palette[Math.floor(random() * distinct)]]++;
    const norm = Math.hypot(...histogram);
    return histogram.map((x) => x / norm);
  });
}
