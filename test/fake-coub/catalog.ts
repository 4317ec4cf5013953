/** Coubs for the crawl tests: every audio choice the crawler must make, and what it should save. */
import { mediaBytes, type FakeCoubSpec, type Media } from './server.js';

/** html5 audio high wins over med and audio_file_url; each level has different bytes, so the saved file says which was taken. */
export const HIGH: FakeCoubSpec = {
  permalink: 'hi1dnm2b',
  title: 'How to ride',
  duration: 9.36,
  hasSound: true,
  audio: { high: 'tone-1.mp3', med: 'tone-2.mp3', file: 'tone-3.mp3' },
  video: 'beat-1.mp4',
};
/** No high: med (an m4a, so the extension follows the URL). */
export const MED: FakeCoubSpec = { permalink: 'med2x', duration: 6, audio: { med: 'noise-1.m4a', file: 'tone-3.mp3' }, video: 'beat-2.mp4' };
/** Only audio_file_url; no duration, no has_sound in the answer. */
export const FILE_ONLY: FakeCoubSpec = { permalink: 'file3y', audio: { file: 'tone-2.mp3' }, video: 'beat-3.mp4' };
/** has_sound false: recorded as no-audio, not an error. */
export const SILENT: FakeCoubSpec = { permalink: 'silent4z', hasSound: false, video: 'beat-1.mp4' };
/** No audio entry at all. */
export const NO_AUDIO_ENTRY: FakeCoubSpec = { permalink: 'noaud5w', video: 'beat-2.mp4' };

/** The fixture a coub's saved audio must equal byte for byte, and its extension. */
export function expectedAudio(spec: FakeCoubSpec): { media: Media; ext: string } | undefined {
  const media = spec.hasSound === false ? undefined : (spec.audio?.high ?? spec.audio?.med ?? spec.audio?.file);
  if (media === undefined) return undefined;
  return { media, ext: typeof media === 'string' ? media.slice(media.lastIndexOf('.') + 1) : 'mp3' };
}

const AUDIO_FIXTURES = ['tone-1.mp3', 'tone-2.mp3', 'noise-1.m4a', 'tone-3.mp3', 'noise-2.m4a'];
const VIDEO_FIXTURES = ['beat-1.mp4', 'beat-2.mp4', 'beat-3.mp4'];

/** `count` coubs with high audio and a video, cycling through the fixtures; permalinks `<prefix>0`, `<prefix>1`, … */
export function manyCoubs(prefix: string, count: number): FakeCoubSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    permalink: `${prefix}${i}`,
    duration: 3.5,
    audio: { high: AUDIO_FIXTURES[i % AUDIO_FIXTURES.length] },
    video: VIDEO_FIXTURES[i % VIDEO_FIXTURES.length],
  }));
}

/** Real mp3 frames (tone-3.mp3) repeated to `size` bytes: audio longer than any fixture. */
export function longMp3(size: number): Buffer {
  const tone = mediaBytes('tone-3.mp3');
  const audio = Buffer.alloc(size);
  for (let at = 0; at < size; at += tone.length) tone.copy(audio, at);
  return audio;
}
