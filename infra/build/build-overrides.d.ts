// The JSON module that bundle.ts provides to baked-distribution.ts at build time.
declare module 'edge-images:build-overrides' {
  const overrides: import('./overrides.ts').BuildOverrides;
  export default overrides;
}
