import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TFJS_GPU_LIBRARIES, findGpuLibraries } from '../src/model/gpu-libraries.js';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

/** Empty files under the given names: the loader-path lookup only needs them to exist. */
function libraryDir(names: readonly string[]): string {
  const dir = scratchDir('boiler-libs-');
  for (const name of names) writeFileSync(join(dir, name), '');
  return dir;
}

const ALL = TFJS_GPU_LIBRARIES.map((library) => library.soname);
const isolated = { ldconfigListing: '', systemDirs: [], installDirs: [] };

test('every library tfjs-node-gpu 4.22 loads is found on LD_LIBRARY_PATH', () => {
  const dir = libraryDir(ALL);
  const found = findGpuLibraries({ ...isolated, env: { LD_LIBRARY_PATH: `/no/such/dir:${dir}` } });
  assert.deepEqual(found.map((library) => library.path), ALL.map((name) => join(dir, name)));
});

test('CUDA 13 and cuDNN 9 do not stand in for CUDA 11 and cuDNN 8: missing, with what is there instead', () => {
  const cuda13 = join(scratchDir('boiler-cuda-'), 'lib64');
  mkdirSync(cuda13);
  for (const name of ['libcudart.so.13', 'libcudnn.so.9', 'libcublas.so.13']) writeFileSync(join(cuda13, name), '');
  const found = new Map(findGpuLibraries({ ...isolated, env: {}, installDirs: [cuda13] }).map((library) => [library.soname, library]));
  assert.equal(found.get('libcudart.so.11.0')?.path, undefined);
  assert.deepEqual(found.get('libcudart.so.11.0')?.elsewhere, [join(cuda13, 'libcudart.so.13')]);
  assert.deepEqual(found.get('libcudnn.so.8')?.elsewhere, [join(cuda13, 'libcudnn.so.9')]);
  // libcublasLt is another library than libcublas: not offered as a stand-in.
  assert.deepEqual(found.get('libcublasLt.so.11')?.elsewhere, []);
});

test("the loader's cache (ldconfig -p) counts as found", () => {
  const listing = '2 libs found in cache `/etc/ld.so.cache\'\n\tlibcudnn.so.8 (libc6,x86-64) => /opt/cudnn/lib/libcudnn.so.8\n';
  const found = findGpuLibraries({ ...isolated, env: {}, ldconfigListing: listing });
  assert.deepEqual(
    found.filter((library) => library.path).map((library) => [library.soname, library.path]),
    [['libcudnn.so.8', '/opt/cudnn/lib/libcudnn.so.8']],
  );
});

test('doctor names the install command of each missing backend and checks the GPU libraries', async () => {
  const dir = libraryDir(ALL);
  const result = await runBoiler(['doctor', '--json'], { env: { LD_LIBRARY_PATH: dir } });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    skipped: { name: string; install: string }[];
    gpu: { libraries: { soname: string; path?: string }[]; verdict: string };
  };
  const gpu = report.skipped.find((s) => s.name === 'tensorflow-gpu');
  // tfjs-node-gpu is not installed here (its install script downloads libtensorflow).
  assert.match(gpu?.install ?? '', /^npm pkg set 'allowScripts\[@tensorflow\/tfjs-node-gpu\]=true' --json && npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  assert.deepEqual(report.gpu.libraries.map((library) => library.path), ALL.map((name) => join(dir, name)));
  assert.match(report.gpu.verdict, /^every library/);

  const text = await runBoiler(['doctor'], { env: { LD_LIBRARY_PATH: dir } });
  assert.match(text.stdout, new RegExp(`found +libcudnn\\.so\\.8 +${join(dir, 'libcudnn.so.8')}`));
});

test('doctor --gpu-smoke times a paper-preset training step on the backend it would use', async () => {
  const result = await runBoiler(['doctor', '--gpu-smoke', '--backend', 'wasm', '--json'], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, result.stderr);
  const { smoke } = JSON.parse(result.stdout) as { smoke: { backend: string; preset: string; stepSeconds: number; firstStepSeconds: number } };
  assert.equal(smoke.backend, 'wasm');
  assert.equal(smoke.preset, 'paper');
  assert.ok(smoke.stepSeconds > 0 && smoke.firstStepSeconds > 0, JSON.stringify(smoke));
});
