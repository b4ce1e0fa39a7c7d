/**
 * Build overrides: the deployment-specific part of the configuration that is baked into the function
 * bundles (Lambda@Edge has no environment variables). `npm run package -- --config my-config.json`
 * reads one from JSON; `sst deploy` makes one with the stage's bucket names.
 *
 * Rules (the only ones): `origins` are overlaid by `id` (an unknown id is an error, `kind` cannot
 * change), `functions` and `regionalFunctions` are overlaid by name, and every other top-level key of
 * the distribution replaces the whole value (e.g. `images`). Unknown top-level keys are errors.
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

export type BuildOverrides = {
  readonly [K in Exclude<keyof DistributionSpec, 'origins' | 'functions' | 'regionalFunctions'>]?: DistributionSpec[K];
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
    else result[key] = value;
  }
  return result as unknown as DistributionSpec;
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
