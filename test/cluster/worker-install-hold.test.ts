import { describe, expect, it } from 'vitest';
import { workerInstallMarkerName } from '../../src/boot/worker-install-marker.js';
import { holdWorkerInstall } from '../../src/cluster/worker-install-step.js';
import { RecordingEvents } from '../../src/events.js';

// The hold's refresh failures, without AWS: an SSM whose writes fail after the first.
describe('holdWorkerInstall refresh failures', () => {
  it('are said once, under the command that holds the marker, and refreshing goes on', async () => {
    let puts = 0;
    const ssm = {
      putString: async () => {
        puts += 1;
        if (puts > 1) throw new Error('ThrottlingException: Rate exceeded');
      },
      deleteParameters: async () => [],
    };
    const events = new RecordingEvents();
    const hold = await holdWorkerInstall(ssm, {
      cluster: 'c1',
      bootstrap: true,
      by: 'update',
      events,
      refreshMs: 20,
    });
    for (let i = 0; i < 100 && puts < 5; i++) await new Promise((r) => setTimeout(r, 20));
    hold.abandon();
    expect(puts).toBeGreaterThanOrEqual(5);
    expect(events.codes()).toEqual(['update.worker-marker-refresh-failed']);
    const [event] = events.events;
    expect(event?.message).toContain(workerInstallMarkerName('c1'));
    expect(event?.message).toContain('Rate exceeded');
    expect(event?.data).toEqual({ cluster: 'c1', by: 'update' });
  });
});
