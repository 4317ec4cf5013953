import { InvalidArgumentError } from 'commander';

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number ≥ ${min}.` : `expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export const positiveInteger = integerIn(1, Number.MAX_SAFE_INTEGER);

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0.');
  return n;
}

/** `--cors`: `*`, or origins (scheme://host[:port], no path) separated by commas. */
export function corsOrigins(value: string): string[] {
  const origins = value.split(',').map((origin) => origin.trim());
  if (origins.length === 1 && origins[0] === '*') return origins;
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s?#]+$/.test(origin)) throw new InvalidArgumentError(`expected * or origins such as https://example.com:8080 (scheme, host, port; no path), got ${JSON.stringify(origin)}.`);
  }
  return origins;
}
