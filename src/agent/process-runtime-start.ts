import type { EventSink } from '../events.js';
import { ProcessRuntime } from './runtime/process-runtime.js';

/** The process runtime, after it stopped what a previous (crashed) agent left running. */
export async function startProcessRuntime(dataDir: string, events: EventSink): Promise<ProcessRuntime> {
  const runtime = new ProcessRuntime({ dataDir });
  const stopped = await runtime.recover();
  if (stopped.length > 0) {
    events.emit({
      code: 'agent.runtime.recovered',
      level: 'warn',
      message: `stopped ${stopped.length} container(s) a previous agent left running: ${stopped
        .map((c) => `${c.podNamespace}/${c.podName}/${c.containerName}`)
        .join(', ')}`,
      data: { containers: stopped.map((c) => c.id) },
    });
  }
  return runtime;
}
