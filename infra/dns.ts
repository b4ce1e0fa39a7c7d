/**
 * The custom domain: an ACM certificate in us-east-1 (the only region CloudFront reads certificates
 * from), validated through DNS records in the hosted zone, unless an issued one is given; then the
 * names viewers resolve: Route 53 geolocation records from infra/geo.ts (multi-CDN: China to a local
 * CDN, everyone else to CloudFront) when enabled, plain alias A/AAAA records to the distribution
 * otherwise. The certificate is SST's DnsValidatedCertificate and the alias records come from SST's
 * Route 53 adapter (sst.aws.dns); the geolocation records stay raw (see below).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { checkGeoDns, geoDnsRecords } from './geo.ts';
import type { GeoDnsSpec } from './geo.ts';
import type { DeployOptions } from './options.ts';
import type { Providers } from './providers.ts';
import type { SstBasicComponents, SstDnsAdapter } from './sst-components.ts';

/** The names the distribution answers to: the configured domain, and the geo DNS name when geo records are made. */
export function domainAliases(options: Pick<DeployOptions, 'domain' | 'geoDns'>, geo: GeoDnsSpec | undefined): string[] {
  const names = [options.domain?.name, options.geoDns ? geo?.name : undefined].filter((n): n is string => n !== undefined);
  return [...new Set(names)];
}

/**
 * SST's Route 53 adapter for the hosted zone. Alias records to a CloudFront distribution must not
 * evaluate target health (Route 53 API reference, AliasTarget: "You can't set EvaluateTargetHealth to
 * true when the alias target is a CloudFront distribution",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html); SST's adapter sets
 * true, so its record transform turns it off.
 */
export function route53Adapter(zoneId: string, sst: SstBasicComponents): SstDnsAdapter {
  return sst.dns({
    zone: zoneId,
    transform: {
      record: (args) => {
        if (args.aliases !== undefined)
          args.aliases = pulumi.output(args.aliases).apply((aliases) => aliases.map((a) => ({ ...a, evaluateTargetHealth: false })));
        return undefined;
      },
    },
  });
}

/** The us-east-1 certificate ARN for the aliases: the given one, or a new DNS-validated one (SST's DnsValidatedCertificate). */
export function createCertificate(
  options: DeployOptions,
  aliases: readonly string[],
  providers: Providers,
  sst: SstBasicComponents,
): pulumi.Output<string> | undefined {
  if (aliases.length === 0) return undefined;
  if (options.domain?.certificateArn) return pulumi.output(options.domain.certificateArn);
  const zoneId = options.hostedZoneId;
  if (!zoneId) throw new Error(`Expected a hosted zone id to validate a certificate for ${aliases.join(', ')} but received none`);
  const [first, ...rest] = aliases as [string, ...string[]];
  const certificate = new sst.DnsValidatedCertificate(
    'certificate',
    { domainName: first, alternativeNames: rest, dns: route53Adapter(zoneId, sst) },
    { provider: providers.edge },
  );
  return certificate.arn;
}

export interface DnsRecords {
  /** SST's adapter's A and AAAA alias records (made once the distribution's name is known). */
  readonly aliases: readonly pulumi.Output<pulumi.Resource>[];
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
  sst: SstBasicComponents,
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
  // Raw aws.route53 for the geolocation records and their health checks: SST's adapter makes simple
  // and alias records only (no setIdentifier, geolocation routing policy or health check).
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
  const route53 = route53Adapter(zoneId, sst);
  const aliasRecords = aliases
    .filter((name) => !geoNames.has(name))
    .flatMap((name) => route53.createAlias('alias', { name, aliasName: distribution.domainName, aliasZone: distribution.hostedZoneId }, opts));
  return { aliases: aliasRecords, geo: geoRecords, healthChecks: [...healthChecks.values()] };
}
