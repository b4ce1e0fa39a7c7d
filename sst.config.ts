/// <reference path="./.sst/platform/config.d.ts" />
export default $config({
  app(input) {
    return { name: 'edge-images', home: 'aws', providers: { aws: { region: 'us-east-1' } } };
  },
  async run() {
    const { probe } = await import('./infra/zz-probe.ts');
    probe();
  },
});
