/**
 * Entry point of the agent-only bundle (`scripts/bundle-agent.mjs` → dist/agent/bin.js) that the agent
 * benchmark (`bench/agent.ts`) and `test/agent/bundle.test.ts` run: `node dist/agent/bin.js --config FILE`.
 * Bootstrap does NOT upload it: hosts get the host bundle (`scripts/bundle.mjs`, entry
 * `src/cli/host-main.ts`) and run `tugboat-host agent`. The same settings as `tugboat agent`, from the
 * config file only; events go to stderr.
 */
import { lineEvents } from '../events.js';
import { loadAgentConfig } from './config.js';
import { startAgentProcess } from './main.js';

async function run(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : process.env.TUGBOAT_AGENT_CONFIG;
  if (!file) {
    process.stderr.write('usage: tugboat-agent --config FILE (or TUGBOAT_AGENT_CONFIG=FILE)\n');
    return 2;
  }
  const debug = argv.includes('--debug');
  const running = await startAgentProcess(
    loadAgentConfig(file, {}),
    lineEvents((text) => process.stderr.write(text), debug),
  );
  process.stderr.write(`agent for node ${running.agent.nodeName} running (logs/exec port ${running.port})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.stop();
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
