/**
 * A tiny runtime checker for JSON the admin UI receives: each decoder checks a
 * value and returns it typed, or throws a DecodeError naming the path. The
 * decoders are the types (`Infer<typeof x>`), so the UI never casts a response.
 * Kept here instead of zod so the browser bundle stays small.
 */

export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path || 'value'}: expected ${expected}`);
    this.name = 'DecodeError';
  }
}

export type Decoder<T> = (value: unknown, path?: string) => T;
export interface OptionalDecoder<T> extends Decoder<T | undefined> {
  readonly optional: true;
}
export type Infer<D> = D extends Decoder<infer T> ? T : never;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const string: Decoder<string> = (value, path = '') => {
  if (typeof value !== 'string') throw new DecodeError(path, 'a string');
  return value;
};

export const number: Decoder<number> = (value, path = '') => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DecodeError(path, 'a number');
  return value;
};

export const boolean: Decoder<boolean> = (value, path = '') => {
  if (typeof value !== 'boolean') throw new DecodeError(path, 'true or false');
  return value;
};

export function oneOf<const T extends readonly string[]>(...values: T): Decoder<T[number]> {
  return (value, path = '') => {
    const found = values.find((v) => v === value);
    if (found === undefined) throw new DecodeError(path, `one of ${values.join(', ')}`);
    return found;
  };
}

export function array<T>(item: Decoder<T>): Decoder<T[]> {
  return (value, path = '') => {
    if (!Array.isArray(value)) throw new DecodeError(path, 'a list');
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

export function optional<T>(inner: Decoder<T>): OptionalDecoder<T> {
  const decode: Decoder<T | undefined> = (value, path = '') => (value === undefined || value === null ? undefined : inner(value, path));
  return Object.assign(decode, { optional: true as const });
}

type Shape = Record<string, Decoder<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalDecoder<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalDecoder<unknown> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

/** An object with the given fields; fields not in the shape are dropped. */
export function object<S extends Shape>(shape: S): Decoder<ObjectOf<S>> {
  return (value, path = '') => {
    if (!isRecord(value)) throw new DecodeError(path, 'an object');
    const out: Record<string, unknown> = {};
    for (const [key, decode] of Object.entries(shape)) {
      const decoded = decode(value[key], path ? `${path}.${key}` : key);
      if (decoded !== undefined) out[key] = decoded;
    }
    // Every key of the shape was checked above; the object now has exactly that type.
    return out as ObjectOf<S>;
  };
}
