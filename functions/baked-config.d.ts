// The generated configuration modules each functions/<fn>/index.ts imports. They exist only at build
// time: infra/build/bundle.ts (the `bakedConfig` esbuild plugin) answers each with the JSON that
// infra/config.ts derives from infra/distribution.ts for that function, build overrides applied.
// Lambda@Edge has no environment variables, so this is how a deployment's settings reach a handler.
declare module 'edge-images:config/image-request' {
  const config: import('./image-request/handler.ts').ImageRequestConfig;
  export default config;
}
declare module 'edge-images:config/signed-url' {
  const config: import('./signed-url/handler.ts').SignedUrlConfig;
  export default config;
}
declare module 'edge-images:config/geo-route' {
  const config: import('./geo-route/handler.ts').GeoRouteConfig;
  export default config;
}
declare module 'edge-images:config/image-resize' {
  const config: import('./image-resize/handler.ts').ImageResizeConfig;
  export default config;
}
declare module 'edge-images:config/derived-cleanup' {
  const config: import('./derived-cleanup/handler.ts').DerivedCleanupConfig & { readonly s3: import('./adapters/s3/store.ts').S3Budget };
  export default config;
}
declare module 'edge-images:config/upload-grant' {
  const config: import('./upload-grant/handler.ts').UploadGrantConfig;
  export default config;
}
