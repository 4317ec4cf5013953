import { join } from 'node:path';
import type { Coub } from './api.js';
import { downloadFile } from './download.js';
import type { Http } from './http.js';
import type { ManifestEntry } from './crawl-manifest.js';
import { chooseAudio, chooseVideo, type MediaChoice } from './media.js';
import { PermanentError, TransientError } from './retry.js';
import { writeThenRename } from './write-then-rename.js';

export interface SaveTarget {
  /** DIR: json/, audio/ and video/ live under it. */
  out: string;
  video: boolean;
  http: Http;
  onBytes?: (bytes: number) => void;
}

export interface SavedCoub {
  entry: ManifestEntry;
  /** Bytes downloaded for this coub in this run. */
  bytes: number;
}

export function coubPageUrl(permalink: string): string {
  return `https://coub.com/view/${permalink}`;
}

/** A download that failed for good (after its retries) becomes the entry's reason; anything else is not the coub's fault. */
function isDownloadFailure(error: unknown): error is Error {
  return error instanceof TransientError || error instanceof PermanentError;
}

/**
 * Saves one coub: its JSON, its audio track and, when asked, its muted video (media files that an
 * earlier run finished are not fetched again). Returns the manifest entry: ok, no-audio (the coub
 * has no sound) or failed with the reason. Errors that are not the network's (a full disk) propagate.
 */
export async function saveCoub(coub: Coub, category: string, target: SaveTarget): Promise<SavedCoub> {
  const { permalink } = coub;
  // Rewritten rather than checked first: it is small, and the rename replaces it whole.
  await writeThenRename(join(target.out, 'json', `${permalink}.json`), (handle) => handle.writeFile(JSON.stringify(coub, null, 2) + '\n'));
  let bytes = 0;
  const failures: string[] = [];
  const fetchInto = async (kind: 'audio' | 'video', choice: MediaChoice): Promise<string | null> => {
    const relative = `${kind}/${permalink}.${choice.ext}`;
    try {
      bytes += await downloadFile(target.http, choice.url, join(target.out, relative), target.onBytes);
      return relative;
    } catch (error) {
      if (!isDownloadFailure(error)) throw error;
      failures.push(`${kind}: ${error.message}`);
      return null;
    }
  };
  const audioChoice = chooseAudio(coub);
  const audio = audioChoice === undefined ? null : await fetchInto('audio', audioChoice);
  let video: string | null = null;
  if (target.video) {
    const videoChoice = chooseVideo(coub);
    if (videoChoice === undefined) failures.push('video: the API lists no html5 video');
    else video = await fetchInto('video', videoChoice);
  }
  const entry: ManifestEntry = {
    permalink,
    url: coubPageUrl(permalink),
    title: coub.title,
    category,
    ...(coub.duration === undefined ? {} : { duration: coub.duration }),
    audio,
    video,
    status: failures.length > 0 ? 'failed' : audioChoice === undefined ? 'no-audio' : 'ok',
    ...(failures.length > 0 ? { reason: failures.join('; ') } : {}),
  };
  return { entry, bytes };
}
