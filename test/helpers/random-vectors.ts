/** A seeded generator (mulberry32): the same seed gives the same numbers on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random unit vectors (Gaussian directions), uniform on the sphere. */
export function randomUnitVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dimension }, gaussian);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

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
