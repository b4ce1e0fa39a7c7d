/**
 * Build overrides: the deployment-specific part of the configuration that is baked into the function
 * bundles (Lambda@Edge has no environment variables). `npm run package -- --config my-config.json`
 * reads one from JSON; `sst deploy` makes one with the stage's bucket names.
 *
 * Rules (the only ones): `origins` are overlaid by `id` (an unknown id is an error, `kind` cannot
 * change), `functions` and `regionalFunctions` are overlaid by name; every other object is merged
 * deeply (a stage that changes `images.sizes` writes only `images: { sizes: [...] }`), and arrays and
 * plain values replace the default's. A key the default does not have is an error, except in the
 * open maps named in OPEN_MAPS, whose entries (one preset) are given whole; a value of another type
 * than the default's is an error, naming the field by its path (`images.limits.maxInputPixels`).
 *
 * Applied at build time by infra/build/bundle.ts before the function configurations are computed.
 */
import type {
  CustomOriginSpec,
  DistributionSpec,
  FunctionName,
  FunctionSpec,
  OriginSpec,
  RegionalFunctionName,
  RegionalFunctionSpec,
  S3OriginSpec,
} from '../distribution.ts';

/** Fields of one origin to change, named by the origin's id. */
type OriginOverride = ({ readonly id: string } & Partial<Omit<S3OriginSpec, 'id'>>) | ({ readonly id: string } & Partial<Omit<CustomOriginSpec, 'id'>>);

/** Every object optional to any depth; arrays and plain values are given whole. */
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

export type BuildOverrides = {
  readonly [K in Exclude<keyof DistributionSpec, 'origins' | 'functions' | 'regionalFunctions'>]?: DeepPartial<DistributionSpec[K]>;
} & {
  readonly origins?: readonly OriginOverride[];
  readonly functions?: Readonly<Partial<Record<FunctionName, Partial<FunctionSpec>>>>;
  readonly regionalFunctions?: Readonly<Partial<Record<RegionalFunctionName, Partial<RegionalFunctionSpec>>>>;
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Applies overrides to a spec; throws `Expected ... but received ...` on anything it cannot apply. */
export function applyOverrides(spec: DistributionSpec, overrides: BuildOverrides | undefined): DistributionSpec {
  if (overrides === undefined) return spec;
  if (!isRecord(overrides)) throw new Error(`Expected an object for the build overrides but received ${JSON.stringify(overrides)}`);
  const result: Record<string, unknown> = { ...spec };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in spec)) {
      throw new Error(`Expected a key of the distribution (${Object.keys(spec).join(', ')}) for the build overrides but received ${JSON.stringify(key)}`);
    }
    if (key === 'origins') result['origins'] = overlayOrigins(spec.origins, value);
    else if (key === 'functions' || key === 'regionalFunctions') result[key] = overlayFunctions(key, spec[key], value);
    else result[key] = merge(key, (spec as unknown as Record<string, unknown>)[key], value);
  }
  return result as unknown as DistributionSpec;
}

/** Maps whose keys are the operator's own names: a new key is an addition, not a typo. */
const OPEN_MAPS = new Set(['images.presets']);

const kindOf = (value: unknown) => (Array.isArray(value) ? 'an array' : value === null ? 'null' : isRecord(value) ? 'an object' : `a ${typeof value}`);

/** `change` over `current` at `field`: objects merged key by key, anything else replaced after a type check. */
function merge(field: string, current: unknown, change: unknown): unknown {
  if (current === undefined) return change;
  if (kindOf(current) !== kindOf(change)) {
    throw new Error(`Expected ${kindOf(current)} for ${field} but received ${JSON.stringify(change)}`);
  }
  if (Array.isArray(current) && Array.isArray(change)) {
    const element = current[0];
    change.forEach((item, i) => {
      if (element !== undefined && kindOf(element) !== kindOf(item)) {
        throw new Error(`Expected ${kindOf(element)} for ${field}[${i}] but received ${JSON.stringify(item)}`);
      }
    });
    return change;
  }
  if (!isRecord(current) || !isRecord(change)) return change;
  const result: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(change)) {
    // An entry of an open map (one preset) is given whole: its optional fields may be new.
    if (OPEN_MAPS.has(field)) {
      if (!isRecord(value)) throw new Error(`Expected an object for ${field}.${key} but received ${JSON.stringify(value)}`);
      result[key] = value;
    } else if (!(key in current)) {
      throw new Error(`Expected a field of ${field} (${Object.keys(current).join(', ')}) but received ${JSON.stringify(key)}`);
    } else {
      result[key] = merge(`${field}.${key}`, current[key], value);
    }
  }
  return result;
}

function overlayOrigins(origins: readonly OriginSpec[], value: unknown): OriginSpec[] {
  if (!Array.isArray(value)) throw new Error(`Expected an array of origin overrides for origins but received ${JSON.stringify(value)}`);
  const byId = new Map(origins.map((origin) => [origin.id, origin]));
  for (const change of value as unknown[]) {
    if (!isRecord(change) || typeof change['id'] !== 'string') {
      throw new Error(`Expected an object with an origin id for an origin override but received ${JSON.stringify(change)}`);
    }
    const current = byId.get(change['id']);
    if (!current) {
      throw new Error(
        `Expected an origin id of the distribution (${[...byId.keys()].join(', ')}) for an origin override but received ${JSON.stringify(change['id'])}`,
      );
    }
    if ('kind' in change && change['kind'] !== current.kind) {
      throw new Error(`Expected kind ${current.kind} for origin ${current.id} but received ${JSON.stringify(change['kind'])}`);
    }
    byId.set(current.id, { ...current, ...change } as OriginSpec);
  }
  return origins.map((origin) => byId.get(origin.id) ?? origin);
}

function overlayFunctions<T extends Readonly<Record<string, FunctionSpec>>>(key: string, functions: T, value: unknown): T {
  if (!isRecord(value)) throw new Error(`Expected an object of function overrides for ${key} but received ${JSON.stringify(value)}`);
  const result: Record<string, FunctionSpec> = { ...functions };
  for (const [name, change] of Object.entries(value)) {
    const current = result[name];
    if (!current) {
      throw new Error(
        `Expected a function of the distribution (${Object.keys(functions).join(', ')}) for a function override but received ${JSON.stringify(name)}`,
      );
    }
    if (!isRecord(change)) throw new Error(`Expected an object for the override of function ${name} but received ${JSON.stringify(change)}`);
    result[name] = { ...current, ...change } as FunctionSpec;
  }
  return result as unknown as T;
}
