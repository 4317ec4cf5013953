import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSize } from '../src/audio/convert-directory.js';
import { assignOutputNames, isMediaFile, wavName } from '../src/audio/media-files.js';
import { ffmpegReason } from '../src/audio/transcode.js';

test('an input becomes its base name with .wav, whatever folder it is in', () => {
  assert.equal(wavName('video/abc123.mp4'), 'abc123.wav');
  assert.equal(wavName('a/b/clip.v2.m4a'), 'clip.v2.wav');
});

test('media is recognised by extension, in any case; other files are not inputs', () => {
  assert.ok(isMediaFile('x.MP4'));
  assert.ok(isMediaFile('x.webm'));
  assert.ok(!isMediaFile('manifest.jsonl'));
  assert.ok(!isMediaFile('x.mp3.tmp-123'));
});

test('clashing output names: audio before video, lossless before lossy, then sorted path order', () => {
  const { chosen, clashes } = assignOutputNames(['z/a.mp4', 'y/a.mp3', 'a.webm', 'b.flac', 'b.mp3', 'q/c.mp3', 'p/c.mp3', 'd.ogg']);
  assert.deepEqual(Object.fromEntries(chosen), { 'a.wav': 'y/a.mp3', 'b.wav': 'b.flac', 'c.wav': 'p/c.mp3', 'd.wav': 'd.ogg' });
  assert.deepEqual(clashes, [
    { source: 'a.webm', output: 'a.wav', keptSource: 'y/a.mp3' },
    { source: 'b.mp3', output: 'b.wav', keptSource: 'b.flac' },
    { source: 'q/c.mp3', output: 'c.wav', keptSource: 'p/c.mp3' },
    { source: 'z/a.mp4', output: 'a.wav', keptSource: 'y/a.mp3' },
  ]);
});

test('the choice does not depend on the order the inputs were listed in', () => {
  const inputs = ['z/a.mp4', 'y/a.mp3', 'x/a.mp3', 'a.webm'];
  const forward = assignOutputNames(inputs);
  const backward = assignOutputNames([...inputs].reverse());
  assert.deepEqual(backward, forward);
  assert.equal(forward.chosen.get('a.wav'), 'x/a.mp3');
});

test("ffmpeg's stderr becomes one line without its prefixes", () => {
  const stderr = '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x340bfcc0] moov atom not found\n/in/corrupt.mp4: Invalid data found when processing input\n';
  assert.equal(ffmpegReason(stderr, ['/in/a.mp3', '/in/corrupt.mp4']), 'moov atom not found; Invalid data found when processing input');
  assert.equal(
    ffmpegReason("Stream map '0:a:0' matches no streams.\nTo ignore this, add a trailing '?' to the map.\n", ['/in/v.mp4']),
    "no audio stream (Stream map '0:a:0' matches no streams.)",
  );
  assert.equal(ffmpegReason('same\nsame\n', ['x']), 'same');
});

test('batches: up to 8 files per ffmpeg process, and at least 4 batches per job when there are enough files', () => {
  assert.equal(batchSize(200, 2), 8);
  assert.equal(batchSize(40, 2), 5);
  assert.equal(batchSize(12, 2), 1);
  assert.equal(batchSize(3, 16), 1);
});
