/**
 * A worker thread of the mel pool: loads clips (decode, repeat/truncate, normalise) and computes
 * their log-mel spectrograms, so that the training thread never waits on either.
 */
import { parentPort } from 'node:worker_threads';
import { loadClip, CLIP_SAMPLES } from '../audio/clip.js';
import { logMel } from '../audio/mel.js';

export interface MelRequest {
  id: number;
  paths: string[];
}

export type MelReply = { id: number; mel: Float32Array } | { id: number; error: string };

parentPort!.on('message', ({ id, paths }: MelRequest) => {
  try {
    const clips = new Float32Array(paths.length * CLIP_SAMPLES);
    paths.forEach((path, i) => clips.set(loadClip(path), i * CLIP_SAMPLES));
    const mel = logMel(clips, paths.length);
    parentPort!.postMessage({ id, mel } satisfies MelReply, [mel.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies MelReply);
  }
});
