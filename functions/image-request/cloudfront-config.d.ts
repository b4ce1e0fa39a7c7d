// The JSON module infra/build/cloudfront-function.ts provides at build time: image-request's config
// (the image policy and the protected prefixes), baked into the CloudFront Function.
declare module 'edge-images:image-request-config' {
  const config: import('../core/image-request.ts').ImageRequestConfig;
  export default config;
}
