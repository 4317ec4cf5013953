import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { backendVariable, type Environment } from '../env.js';
import { UserError } from '../errors.js';
import { registerWasmConvKernels } from './wasm-kernels.js';

/** The TensorFlow.js backends boiler can run on, fastest first. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

interface BackendSpec {
  /** The npm package that provides the backend; loading it registers the backend with tfjs. */
  pkg: string;
  /** tfjs's own name for the backend, passed to tf.setBackend. */
  tfName: string;
  /** How a user gets the package. */
  install: string;
}

/**
 * tfjs-node(-gpu) download libtensorflow in their install script, which npm 11 runs only when the
 * project's package.json approves it (`npm install --allow-scripts` is refused inside a project).
 */
function approveScripts(pkg: string): string {
  return `npm pkg set 'allowScripts[${pkg}]=true' --json`;
}

const SPECS: Record<BackendName, BackendSpec> = {
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    tfName: 'tensorflow',
    install: `${approveScripts('@tensorflow/tfjs-node-gpu')} && npm install @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.2 and cuDNN 8.1 on a Linux x64 box: boiler doctor checks them)`,
  },
  tensorflow: {
    pkg: '@tensorflow/tfjs-node',
    tfName: 'tensorflow',
    install: `${approveScripts('@tensorflow/tfjs-node')} && npm install @tensorflow/tfjs-node@4.22.0`,
  },
  wasm: {
    pkg: '@tensorflow/tfjs-backend-wasm',
    tfName: 'wasm',
    install: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0',
  },
  cpu: {
    pkg: '@tensorflow/tfjs-backend-cpu',
    tfName: 'cpu',
    install: 'npm install @tensorflow/tfjs@4.22.0',
  },
};

/** Imports a package by name; injectable so that tests can make a package look absent. */
export type ModuleLoader = (pkg: string) => Promise<unknown>;

const importPackage: ModuleLoader = (pkg) => import(pkg);

export function isBackendChoice(value: string): value is BackendChoice {
  return value === 'auto' || (BACKENDS as readonly string[]).includes(value);
}

/** The backend asked for by the flag, else BOILER_BACKEND, else auto. */
export function requestedBackend(flag: string | undefined, env?: Environment): BackendChoice {
  const value = flag ?? backendVariable(env) ?? 'auto';
  if (!isBackendChoice(value)) {
    const from = flag === undefined ? 'BOILER_BACKEND' : '--backend';
    throw new UserError(`unknown backend '${value}' (from ${from}): choose one of auto, ${BACKENDS.join(', ')}`);
  }
  return value;
}

/** Points the wasm backend at the .wasm binaries inside its own package (Node has no page URL to resolve them against). */
function configureWasm(wasmModule: unknown): void {
  const { setWasmPaths } = wasmModule as { setWasmPaths: (prefix: string) => void };
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // main resolves to dist/tf-backend-wasm.node.js; the .wasm files sit beside it.
  setWasmPaths(join(dirname(main), '/'));
}

async function tryBackend(name: BackendName, load: ModuleLoader): Promise<string | undefined> {
  const spec = SPECS[name];
  try {
    const loaded = await load(spec.pkg);
    if (name === 'wasm') configureWasm(loaded);
    if (!(await tf.setBackend(spec.tfName))) return `${spec.pkg} loaded but its backend did not initialise`;
    await tf.ready();
    // wasm lacks conv filter gradients and has slow transposed convs and sums: boiler's own kernels stand in.
    if (name === 'wasm') registerWasmConvKernels();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** The commands that install a backend's package. */
export function installCommand(name: BackendName): string {
  return SPECS[name].install;
}

export interface ChosenBackend {
  name: BackendName;
  /** Why each faster backend was passed over (auto only). */
  skipped: { name: BackendName; reason: string }[];
}

/**
 * Picks and activates the TensorFlow.js backend: the requested one, or with `auto` the first
 * that loads of tfjs-node-gpu, tfjs-node, wasm and the pure-JS cpu backend. A requested backend
 * that is missing is an error naming the npm command that installs it.
 */
export async function chooseBackend(choice: BackendChoice, load: ModuleLoader = importPackage): Promise<ChosenBackend> {
  if (choice !== 'auto') {
    const reason = await tryBackend(choice, load);
    if (reason !== undefined) {
      throw new UserError(`backend '${choice}' is not available (${reason}): ${SPECS[choice].install}`);
    }
    return { name: choice, skipped: [] };
  }
  const skipped: ChosenBackend['skipped'] = [];
  for (const name of BACKENDS) {
    const reason = await tryBackend(name, load);
    if (reason === undefined) return { name, skipped };
    skipped.push({ name, reason });
  }
  throw new UserError(`no TensorFlow.js backend loads: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
