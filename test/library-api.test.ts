import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
// By the package's own name, as a program that installed it imports it: Node resolves it through package.json "exports".
import * as boiler from 'boiler';
import { buildModelDir, locateFfmpeg, MediaEmbedder, ModelIndex, resolveModelDir, type Match } from 'boiler';
import { FIXTURES, ROOT } from './helpers/cli.js';
import { fixtureWavs, REFERENCE_ENCODER, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const run = promisify(execFile);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const LIBRARY_SECTION = README.slice(README.indexOf('## Library'), README.indexOf('## Development'));
const QUERY = join(FIXTURES, 'media', 'tone-1.mp3');

const root = scratchDir('boiler-library-');
let modelDir: string;
before(async () => {
  const built = await buildModelDir({
    wavDir: await fixtureWavs(root),
    checkpoint: referenceCheckpointIn(root),
    encoder: REFERENCE_ENCODER,
    parameters: { ...boiler.DEFAULT_GRAPH_PARAMETERS, batchSize: 32 },
  });
  modelDir = built.modelDir;
});

test('the package, imported by its name, indexes the fixtures, embeds a media file and finds the clip it became', async () => {
  const index = ModelIndex.open(resolveModelDir(modelDir));
  assert.equal(index.manifest.count, 12);
  const embedder = await MediaEmbedder.open(modelDir, locateFfmpeg().path);
  try {
    const { vector, seconds } = await embedder.embedFile(QUERY);
    assert.ok(seconds > 3, `${seconds} s of tone-1.mp3 embedded`);
    // The reference weights give several fixtures the same code histogram: tone-1.wav is among the closest, at distance 0.
    const matches: Match[] = index.nearest(vector, 12);
    const self = matches.find((match) => match.coubId === 'tone-1.wav');
    assert.ok(self && self.distance < 1e-6 && self.distance === matches[0].distance, JSON.stringify(matches));
  } finally {
    await embedder.close();
  }
});

test("every name README's Library section shows is exported: values by the package, types by src/index.ts", () => {
  const exportedTypes = new Set([...readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8').matchAll(/\btype (\w+)/g)].map((m) => m[1]));
  const names = [...LIBRARY_SECTION.matchAll(/`(\w+)`/g), ...LIBRARY_SECTION.matchAll(/import \{([^}]*)\} from 'boiler'/g)]
    .flatMap((m) => m[1].split(','))
    .map((name) => name.trim())
    .filter((name) => name && name !== 'boiler');
  assert.ok(names.length > 20, `only ${names.length} names found in README's Library section`);
  const missing = names.filter((name) => !(name in boiler) && !exportedTypes.has(name));
  assert.deepEqual(missing, [], "README's Library section names what the package does not export");
});

test("README's Library example runs, as a program that installed the package, and prints the file's nearest clips", async () => {
  const example = /```ts\n([\s\S]*?)```/.exec(LIBRARY_SECTION)?.[1];
  assert.ok(example, "README's Library section has no ```ts example");
  assert.ok(example.trim().split('\n').length <= 12, 'the example is about ten lines');
  // A project that ran `npm install /path/to/boiler` (a link) and has tsx.
  const project = join(root, 'project');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(project, 'node_modules', 'boiler'));
  symlinkSync(join(ROOT, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module', dependencies: { boiler: 'file:../boiler' } }));
  writeFileSync(join(project, 'nearest.ts'), example);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'nearest.ts', modelDir, QUERY], { cwd: project, timeout: 120_000 });
  const [header, ...matches] = stdout.trim().split('\n');
  assert.match(header, /tone-1\.mp3: \d+\.\d s embedded/);
  assert.equal(matches.length, 5, stdout);
  assert.ok(
    matches.some((line) => /^\d 0\.000 tone-1\.wav$/.test(line)),
    `tone-1.wav among the nearest at distance 0:\n${stdout}`,
  );
});
