import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { childEnvironment, loaderPath, searchPath, type Environment } from '../env.js';

/**
 * The shared libraries that @tensorflow/tfjs-node-gpu 4.22 needs at load: it bundles libtensorflow
 * 2.9.1, built against CUDA 11.2 and cuDNN 8.1, which opens these sonames (and no others) through
 * the dynamic loader. A CUDA 12 or 13 install or cuDNN 9 does not satisfy them.
 */
export const TFJS_GPU_LIBRARIES = [
  { soname: 'libcuda.so.1', what: 'NVIDIA driver' },
  { soname: 'libcudart.so.11.0', what: 'CUDA 11 runtime' },
  { soname: 'libcublas.so.11', what: 'cuBLAS 11' },
  { soname: 'libcublasLt.so.11', what: 'cuBLASLt 11' },
  { soname: 'libcufft.so.10', what: 'cuFFT (CUDA 11)' },
  { soname: 'libcurand.so.10', what: 'cuRAND (CUDA 11)' },
  { soname: 'libcusolver.so.11', what: 'cuSOLVER 11' },
  { soname: 'libcusparse.so.11', what: 'cuSPARSE 11' },
  { soname: 'libcudnn.so.8', what: 'cuDNN 8' },
] as const;

export interface LibraryFinding {
  soname: string;
  what: string;
  /** Where the dynamic loader would find it; absent when it would not. */
  path?: string;
  /** Other files of the same library (another version, or a folder the loader does not search). */
  elsewhere: string[];
}

export interface LibrarySearch {
  /** LD_LIBRARY_PATH comes from here. */
  env?: Environment;
  /** `ldconfig -p`'s output: the loader's cache. */
  ldconfigListing?: string;
  /** Folders the loader searches by default. */
  systemDirs?: string[];
  /** Folders where CUDA installs usually land, searched only to say what is there. */
  installDirs?: string[];
}

const SYSTEM_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'];

/** The lib folders of /usr/local/cuda* (CUDA's default install prefix). */
function cudaInstallDirs(): string[] {
  const root = '/usr/local';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name.startsWith('cuda'))
    .flatMap((name) => ['lib64', 'lib'].map((lib) => join(root, name, lib)));
}

function loaderCache(): string {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', env: childEnvironment({ PATH: `${searchPath()}:/sbin:/usr/sbin` }) });
  } catch {
    return '';
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where the loader would find each library tfjs-node-gpu 4.22 needs, and what else is installed instead. */
export function findGpuLibraries(search: LibrarySearch = {}): LibraryFinding[] {
  const loaderDirs = [...loaderPath(search.env), ...(search.systemDirs ?? SYSTEM_DIRS)];
  const cached = new Map<string, string>();
  for (const line of (search.ldconfigListing ?? loaderCache()).split('\n')) {
    const match = /^\s*(\S+) \(.*\) => (\S+)$/.exec(line);
    if (match) cached.set(match[1], match[2]);
  }
  const otherDirs = [...new Set([...loaderDirs, ...(search.installDirs ?? cudaInstallDirs())])];
  return TFJS_GPU_LIBRARIES.map(({ soname, what }) => {
    const inDir = loaderDirs.find((dir) => existsSync(join(dir, soname)));
    const path = inDir ? join(inDir, soname) : cached.get(soname);
    if (path) return { soname, what, path, elsewhere: [] };
    // libcudnn.so.8 missing → any libcudnn.so.<version>, on the loader's path or where CUDA usually lands.
    const stem = soname.replace(/\.so\..*$/, '.so.');
    const files = otherDirs.flatMap((dir) =>
      listDir(dir)
        .filter((name) => name.startsWith(stem))
        .map((name) => join(dir, name)),
    );
    // /usr/local/cuda is usually a link to /usr/local/cuda-<version>: name each file once.
    const elsewhere = [...new Map(files.map((file) => [realpathSync(file), file])).values()];
    return { soname, what, elsewhere };
  });
}

/** `nvidia-smi`'s one line per GPU (name, driver version), or why there is none. */
export function nvidiaGpus(): { gpus: string[] } | { error: string } {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 15_000 });
    return { gpus: out.split('\n').map((line) => line.trim()).filter(Boolean) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver on this machine?)' : `nvidia-smi failed: ${String(error).split('\n')[0]}` };
  }
}
