/**
 * The custom domain: an ACM certificate in us-east-1 (the only region CloudFront reads certificates
 * from), validated through DNS records in the hosted zone, unless an issued one is given; then the
 * names viewers resolve: Route 53 geolocation records from infra/geo.ts (multi-CDN: China to a local
 * CDN, everyone else to CloudFront) when enabled, plain alias A/AAAA records to the distribution
 * otherwise.
 */
// Raw aws.acm/aws.route53, not sst.aws.dns(): geolocation record sets with health checks (infra/geo.ts)
// are beyond SST's DNS adapter, which makes plain alias records; and the mocks argument above.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { checkGeoDns, geoDnsRecords } from './geo.ts';
import type { GeoDnsSpec } from './geo.ts';
import type { DeployOptions } from './options.ts';
import type { Providers } from './providers.ts';

/** The names the distribution answers to: the configured domain, and the geo DNS name when geo records are made. */
export function domainAliases(options: Pick<DeployOptions, 'domain' | 'geoDns'>, geo: GeoDnsSpec | undefined): string[] {
  const names = [options.domain?.name, options.geoDns ? geo?.name : undefined].filter((n): n is string => n !== undefined);
  return [...new Set(names)];
}

/** The us-east-1 certificate ARN for the aliases: the given one, or a new DNS-validated one. */
export function createCertificate(options: DeployOptions, aliases: readonly string[], providers: Providers): pulumi.Output<string> | undefined {
  if (aliases.length === 0) return undefined;
  if (options.domain?.certificateArn) return pulumi.output(options.domain.certificateArn);
  const zoneId = options.hostedZoneId;
  if (!zoneId) throw new Error(`Expected a hosted zone id to validate a certificate for ${aliases.join(', ')} but received none`);
  const [first, ...rest] = aliases as [string, ...string[]];
  const certificate = new aws.acm.Certificate(
    'certificate',
    { domainName: first, subjectAlternativeNames: rest, validationMethod: 'DNS', tags: { app: options.app, stage: options.stage } },
    { provider: providers.edge },
  );
  const records = aliases.map((alias, index) => {
    const option = certificate.domainValidationOptions.apply((all) => {
      const found = all.find((o) => o.domainName === alias);
      if (!found) throw new Error(`Expected a DNS validation option for ${alias} but received ${JSON.stringify(all)}`);
      return found;
    });
    return new aws.route53.Record(
      `certificate-validation-${index}`,
      { zoneId, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true },
      { provider: providers.edge },
    );
  });
  const validation = new aws.acm.CertificateValidation(
    'certificate-validation',
    { certificateArn: certificate.arn, validationRecordFqdns: records.map((r) => r.fqdn) },
    { provider: providers.edge },
  );
  return validation.certificateArn;
}

export interface DnsRecords {
  readonly aliases: readonly aws.route53.Record[];
  readonly geo: readonly aws.route53.Record[];
  readonly healthChecks: readonly aws.route53.HealthCheck[];
}

/** Stands for the distribution's domain in geoDnsRecords (it is only known once CloudFront answers). */
const DISTRIBUTION_DOMAIN = 'distribution.placeholder.invalid';

export function createDnsRecords(
  options: DeployOptions,
  aliases: readonly string[],
  geo: GeoDnsSpec | undefined,
  distribution: aws.cloudfront.Distribution,
  providers: Providers,
): DnsRecords {
  const zoneId = options.hostedZoneId;
  const empty: DnsRecords = { aliases: [], geo: [], healthChecks: [] };
  if (!zoneId) return empty;
  const opts = { provider: providers.edge };
  const useGeo = options.geoDns && geo !== undefined;
  if (useGeo) {
    const problems = checkGeoDns(geo);
    if (problems.length > 0) throw new Error(`The geo DNS data (infra/geo.ts) cannot be deployed:\n- ${problems.join('\n- ')}`);
  }
  const healthChecks = new Map<string, aws.route53.HealthCheck>();
  for (const check of useGeo ? geo.healthChecks : []) {
    healthChecks.set(
      check.id,
      new aws.route53.HealthCheck(
        `health-${check.id}`,
        {
          type: check.type,
          fqdn: check.fqdn,
          port: check.port,
          resourcePath: check.resourcePath,
          requestInterval: check.requestInterval,
          failureThreshold: check.failureThreshold,
          enableSni: check.type === 'HTTPS',
          tags: { Name: `${options.app}-${options.stage}-${check.id}` },
        },
        opts,
      ),
    );
  }
  const geoRecords = (useGeo ? geoDnsRecords(geo, DISTRIBUTION_DOMAIN) : []).map((record) => {
    const location = record.geoLocation;
    const healthCheck = record.healthCheckId === undefined ? undefined : healthChecks.get(record.healthCheckId);
    return new aws.route53.Record(
      `geo-${record.setIdentifier}`,
      {
        zoneId,
        name: record.name,
        type: record.type,
        ttl: record.ttl,
        setIdentifier: record.setIdentifier,
        records: [record.value === DISTRIBUTION_DOMAIN ? distribution.domainName : record.value],
        geolocationRoutingPolicies: [
          'continentCode' in location
            ? { continent: location.continentCode }
            : { country: location.countryCode, ...(location.subdivisionCode ? { subdivision: location.subdivisionCode } : {}) },
        ],
        ...(healthCheck ? { healthCheckId: healthCheck.id } : {}),
      },
      opts,
    );
  });
  const geoNames = new Set(useGeo ? [geo.name] : []);
  const aliasRecords = aliases
    .filter((name) => !geoNames.has(name))
    .flatMap((name) =>
      (['A', 'AAAA'] as const).map(
        (type) =>
          new aws.route53.Record(
            `alias-${name}-${type}`,
            { zoneId, name, type, aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }] },
            opts,
          ),
      ),
    );
  return { aliases: aliasRecords, geo: geoRecords, healthChecks: [...healthChecks.values()] };
}
