import {
  ChangeResourceRecordSetsCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourcesCommand,
  paginateListHostedZones,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { awsCall } from './errors.js';
import { collectPages } from './pages.js';
import { MAX_PAGES, type Tags, tagsFromList } from './types.js';

/** A hosted zone (the id without the `/hostedzone/` prefix). */
export interface HostedZone {
  readonly id: string;
  readonly name: string;
}

/** A record set, kept whole because Route 53 deletes only an exact match. */
export interface RecordSet {
  readonly name: string;
  readonly type: string;
  readonly values: readonly string[];
  /** The record exactly as Route 53 returned it (needed to delete it). */
  readonly raw: ResourceRecordSet;
}

/** The Route 53 calls tugboat makes. */
export interface Route53Api {
  listHostedZones(): Promise<HostedZone[]>;
  /** Tags of each given zone id. */
  zoneTags(zoneIds: readonly string[]): Promise<Record<string, Tags>>;
  listRecordSets(zoneId: string): Promise<RecordSet[]>;
  deleteRecordSets(zoneId: string, records: readonly RecordSet[]): Promise<void>;
  deleteHostedZone(zoneId: string): Promise<void>;
}

const bareId = (id: string) => id.replace(/^\/hostedzone\//, '');

/** The Route 53 API over the SDK client. */
export function sdkRoute53(client: Route53Client, endpoint?: string): Route53Api {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`route53:${action}`, fn, endpoint);
  return {
    async listHostedZones() {
      const zones = await call('ListHostedZones', () =>
        collectPages(paginateListHostedZones({ client }, {}), (out) => out.HostedZones ?? []),
      );
      return zones.map((z): HostedZone => ({ id: bareId(z.Id ?? ''), name: z.Name ?? '' }));
    },
    async zoneTags(zoneIds) {
      const result: Record<string, Tags> = {};
      for (let i = 0; i < zoneIds.length; i += 10) {
        const ids = zoneIds.slice(i, i + 10);
        const out = await call('ListTagsForResources', () =>
          client.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: [...ids] })),
        );
        for (const s of out.ResourceTagSets ?? []) result[bareId(s.ResourceId ?? '')] = tagsFromList(s.Tags);
      }
      return result;
    },
    // The SDK has no paginator for ListResourceRecordSets (three cursor fields): paged by hand.
    async listRecordSets(zoneId) {
      const records: RecordSet[] = [];
      let name: string | undefined;
      let type: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await call('ListResourceRecordSets', () =>
          client.send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              StartRecordName: name,
              StartRecordType: type as never,
            }),
          ),
        );
        for (const r of out.ResourceRecordSets ?? []) {
          records.push({
            name: r.Name ?? '',
            type: r.Type ?? '',
            values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
            raw: r,
          });
        }
        if (!out.IsTruncated) break;
        name = out.NextRecordName;
        type = out.NextRecordType;
      }
      return records;
    },
    async deleteRecordSets(zoneId, records) {
      if (records.length === 0) return;
      await call('ChangeResourceRecordSets', () =>
        client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: { Changes: records.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r.raw })) },
          }),
        ),
      );
    },
    async deleteHostedZone(zoneId) {
      await call('DeleteHostedZone', () => client.send(new DeleteHostedZoneCommand({ Id: zoneId })));
    },
  };
}
