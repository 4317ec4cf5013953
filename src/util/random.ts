/** A seeded generator (mulberry32): the same seed gives the same numbers on every run and machine. */
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

/** `count` random unit vectors with Gaussian coordinates (uniform directions on the sphere). */
export function randomUnitVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const vector = Float32Array.from({ length: dimension }, gaussian);
    const norm = Math.hypot(...vector);
    return vector.map((x) => x / norm);
  });
}
