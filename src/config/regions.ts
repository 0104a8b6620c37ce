/**
 * The AWS commercial regions tugboat knows. Kept as a small static table so that validation and
 * `tugboat template` work with no AWS access; a new region is a one-line addition here.
 */
export const KNOWN_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** True for a region in {@link KNOWN_REGIONS}. */
export function isKnownRegion(region: string): boolean {
  return KNOWN_REGIONS.includes(region);
}

/**
 * True when `zone` is an availability zone name of `region`: the region name plus one letter
 * (`us-east-1a`). Zone IDs (`use1-az1`) and Local Zones are not accepted.
 */
export function zoneBelongsToRegion(zone: string, region: string): boolean {
  return zone.length === region.length + 1 && zone.startsWith(region) && /[a-z]$/.test(zone);
}
