/**
 * Entry point of the agent bundle (`scripts/bundle-agent.mjs` → dist/agent/bin.js)
 * that bootstrap uploads to nodes: `node /opt/tugboat/agent/bin.js --config /etc/tugboat/agent.yaml`.
 * The same settings as `tugboat agent`, from the config file only; events go to stderr.
 */
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
  const running = await startAgentProcess(loadAgentConfig(file, {}), {
    emit(e) {
      if (e.level !== 'debug' || debug) process.stderr.write(`${e.level}: ${e.message}\n`);
    },
  });
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
