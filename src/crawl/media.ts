import type { Coub } from './api.js';

/** A file to download and the extension to save it under. */
export interface MediaChoice {
  url: string;
  ext: string;
}

function stringUrl(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The extension of the URL's file name, or `fallback` when it has none that looks like one. */
export function extensionOf(url: string, fallback: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return fallback;
  }
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(path);
  return match ? match[1].toLowerCase() : fallback;
}

/**
 * The coub's whole soundtrack: html5 audio high, else med, else `audio_file_url` (the lowest
 * quality). Undefined for a coub without sound. The audio track is separate from the muted video
 * and often longer than it, which is why boiler downloads it rather than the merged clip.
 */
export function chooseAudio(coub: Coub): MediaChoice | undefined {
  if (coub.has_sound === false) return undefined;
  const html5 = coub.file_versions?.html5?.audio;
  const url = stringUrl(html5?.high?.url) ?? stringUrl(html5?.med?.url) ?? stringUrl(coub.audio_file_url);
  return url === undefined ? undefined : { url, ext: extensionOf(url, 'mp3') };
}

/** The muted html5 video, high else med; saved as .mp4 whatever its URL says. */
export function chooseVideo(coub: Coub): MediaChoice | undefined {
  const html5 = coub.file_versions?.html5?.video;
  const url = stringUrl(html5?.high?.url) ?? stringUrl(html5?.med?.url);
  return url === undefined ? undefined : { url, ext: 'mp4' };
}
