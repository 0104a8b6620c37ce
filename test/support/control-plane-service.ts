import { join } from 'node:path';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import type { HostLayout } from '../../src/bootstrap/layout.js';
import { installService } from '../../src/bootstrap/service.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';

/**
 * `tugboat control-plane` from source as the supervised control-plane service of a simulated host
 * (plain loopback HTTP on `port`, no controllers, data in the layout), with moto's AWS environment;
 * `flags` add the store and shipping flags.
 */
export async function installTestControlPlane(
  shell: RemoteShell,
  layout: HostLayout,
  port: number,
  motoEndpoint: string,
  flags: readonly string[],
  /** `host`: the host bundle's commands only, as on a real master. @default the whole CLI */
  entry: 'cli' | 'host' = 'cli',
): Promise<void> {
  await installService(
    shell,
    {
      name: CONTROL_PLANE_SERVICE,
      description: 'control plane under test',
      command: [
        process.execPath,
        '--import',
        'tsx',
        join(process.cwd(), `test/support/${entry}-entry.ts`),
        'control-plane',
        '--insecure-loopback-http',
        '--listen',
        `127.0.0.1:${port}`,
        '--no-controllers',
        '--data-dir',
        join(layout.lib, 'control-plane'),
        ...flags,
      ],
      env: {
        AWS_ENDPOINT_URL: motoEndpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
      workingDirectory: process.cwd(),
    },
    { layout, mode: 'supervised', force: true },
  );
}
