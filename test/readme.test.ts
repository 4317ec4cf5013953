import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { ROOT } from './helpers/cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  allowScripts: Record<string, boolean>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** The lines of README's fenced code blocks, without a console prompt. */
function codeLines(): string[] {
  const lines: string[] = [];
  let inBlock = false;
  for (const line of README.split('\n')) {
    if (line.startsWith('```')) inBlock = !inBlock;
    else if (inBlock) lines.push(line.replace(/^\$ /, ''));
  }
  return lines;
}

/** Every flag a command accepts, by its long name, with the program's own. */
function flagsOf(command: Command): Set<string> {
  return new Set(['--help', '--version', '--verbose', ...command.options.map((option) => option.long ?? '')]);
}

test('README calls the binary one way: boiler, never through npx (which does not pass SIGTERM on to serve)', () => {
  assert.deepEqual(README.split('\n').filter((line) => /npx boiler/.test(line)), []);
});

test("every boiler command line in README's examples names a real subcommand and only its flags", () => {
  const program = buildProgram();
  const subcommands = new Map(program.commands.map((command) => [command.name(), command]));
  const calls = codeLines().flatMap((line) => [...line.matchAll(/(?:^|[\s(])boiler ([a-z]+)([^|;&)>]*)/g)]);
  assert.ok(calls.length >= 20, `only ${calls.length} boiler command lines found in README`);
  for (const [, name, rest] of calls) {
    const command = subcommands.get(name);
    assert.ok(command, `README runs 'boiler ${name}', which is no subcommand`);
    const flags = flagsOf(command);
    for (const [flag] of rest.matchAll(/--[a-z][a-z0-9-]*/g)) {
      assert.ok(flags.has(flag), `README passes ${flag} to 'boiler ${name}', which has no such flag`);
    }
  }
});

test("README's install commands for tfjs-node(-gpu) in a checkout work: approved in allowScripts and not already declared", () => {
  const checkoutInstalls = [...README.matchAll(/npm install --no-save (@tensorflow\/tfjs-node(?:-gpu)?)@/g)].map((match) => match[1]);
  assert.ok(checkoutInstalls.length > 0, 'README shows no checkout install of tfjs-node-gpu');
  for (const pkg of checkoutInstalls) {
    assert.equal(PACKAGE.allowScripts[pkg], true, `${pkg}'s install script is not approved in package.json`);
    // npm 11 treats `npm install X` as done (installing nothing) when X is already a declared (optional peer) dependency.
    const declared = [PACKAGE.dependencies, PACKAGE.devDependencies, PACKAGE.peerDependencies ?? {}].some((deps) => pkg in deps);
    assert.equal(declared, false, `${pkg} is declared in package.json, so npm install would skip it`);
  }
});
