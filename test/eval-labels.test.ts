import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../src/errors.js';
import { matchLabels, parseLabels, splitCsvLine } from '../src/eval/labels.js';
import type { ClipRecord } from '../src/search/model-index.js';

function asObject(parsed: ReturnType<typeof parseLabels>): Record<string, string[]> {
  return Object.fromEntries(parsed.map(({ key, labels }) => [key, [...labels]]));
}

test('CSV labels: a header, quoted fields, several labels per clip and a clip on two lines', () => {
  const text = '\uFEFFclip,label\r\nblues.00000.wav,blues\r\n"rock, live.wav","rock;live"\n# a comment\n\nsong.wav,jazz,"say ""hi"""\nsong.wav,jazz|swing\n';
  assert.deepEqual(asObject(parseLabels(text, 'labels.csv')), {
    'blues.00000.wav': ['blues'],
    'rock, live.wav': ['rock', 'live'],
    'song.wav': ['jazz', 'say "hi"', 'swing'],
  });
});

test('TSV labels, by extension or by a tab on the first line; a first field that is no column name is a clip', () => {
  const text = '1dnm2b\trock\tguitar\nhttps://coub.com/view/2abc9x\tanime\n';
  const expected = { '1dnm2b': ['rock', 'guitar'], 'https://coub.com/view/2abc9x': ['anime'] };
  assert.deepEqual(asObject(parseLabels(text, 'tags.tsv')), expected);
  assert.deepEqual(asObject(parseLabels(text, 'tags.txt')), expected);
  // Commas inside a TSV field are part of the label.
  assert.deepEqual(asObject(parseLabels('a.wav\tx,y\n', 'l.tsv')), { 'a.wav': ['x,y'] });
});

test('bad labels files are one UserError naming the file and line', () => {
  const cases: [string, RegExp][] = [
    ['a.wav,x\nb.wav\n', /^l\.csv:2: b\.wav has no label/],
    ['a.wav,x\nb.wav, ;\n', /^l\.csv:2: b\.wav has no label/],
    ['a.wav,x\n"b.wav,y\n', /^l\.csv:2: a quoted field is not closed/],
    [',x\n', /^l\.csv:1: the first field \(the clip\) is empty/],
    ['clip,label\n\n# nothing\n', /^l\.csv names no clip/],
    ['', /^l\.csv names no clip/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseLabels(text, 'l.csv'), (error: Error) => error instanceof UserError && message.test(error.message) && !error.message.includes('\n'), JSON.stringify(text));
  }
});

test('splitCsvLine keeps empty fields and spaces outside quotes', () => {
  assert.deepEqual(splitCsvLine('a,,b', 'x'), ['a', '', 'b']);
  assert.deepEqual(splitCsvLine(' "q,1" ,c', 'x'), ['q,1 ', 'c']);
});

test('labels match clips by wav name, stem, path, coub permalink or URL; the others are reported', () => {
  const clips: ClipRecord[] = [
    { file: 'blues.00000.wav', url: 'blues.00000.wav', coubId: 'blues.00000.wav' },
    { file: '1dnm2b.wav', url: 'https://coub.com/view/1dnm2b', coubId: '1dnm2b' },
    { file: '2abc9x.wav', url: 'https://coub.com/view/2abc9x', coubId: '2abc9x' },
    { file: 'jazz.00001.wav', url: 'jazz.00001.wav', coubId: 'jazz.00001.wav' },
    { file: 'unlabelled.wav', url: 'unlabelled.wav', coubId: 'unlabelled.wav' },
  ];
  const parsed = parseLabels(
    [
      'genres/blues/blues.00000.au,blues',
      'https://coub.com/view/1dnm2b,rock',
      '2abc9x,anime',
      'jazz.00001,jazz',
      'JAZZ.00001.wav,jazz',
      'missing.wav,blues',
      '1dnm2b.wav,live',
    ].join('\n'),
    'l.csv',
  );
  const { labels, unmatched } = matchLabels(clips, parsed);
  assert.deepEqual(
    labels.map((set) => (set ? [...set] : undefined)),
    [['blues'], ['rock', 'live'], ['anime'], ['jazz'], undefined],
  );
  assert.deepEqual(unmatched, ['JAZZ.00001.wav', 'missing.wav']);
});
