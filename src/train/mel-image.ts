import { createRequire } from 'node:module';

/**
 * A grayscale picture of log-mels: one row per clip, the input on the left and its
 * reconstruction on the right, low frequencies at the bottom. Both halves share the input's
 * range, so a washed-out reconstruction looks washed out.
 */
export function melImage(input: Float32Array, recon: Float32Array, clips: number, mels: number, frames: number) {
  const width = frames * 2;
  const height = mels * clips;
  const pixels = new Uint8Array(width * height);
  for (let c = 0; c < clips; c++) {
    const offset = c * mels * frames;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < mels * frames; i++) {
      lo = Math.min(lo, input[offset + i]);
      hi = Math.max(hi, input[offset + i]);
    }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const shade = (v: number) => Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
    for (let m = 0; m < mels; m++) {
      const row = c * mels + (mels - 1 - m);
      for (let t = 0; t < frames; t++) {
        pixels[row * width + t] = shade(input[offset + m * frames + t]);
        pixels[row * width + frames + t] = shade(recon[offset + m * frames + t]);
      }
    }
  }
  // pngjs is loaded here, when training writes its first image, not when boiler starts.
  const { PNG } = createRequire(import.meta.url)('pngjs') as typeof import('pngjs');
  const png = PNG.sync.write(Object.assign(new PNG({ width, height }), { data: Buffer.from(pixels.buffer) }), { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  return { png, width, height };
}
