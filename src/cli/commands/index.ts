import { agentCommand } from './agent.js';
import { controlPlaneCommand } from './api-server.js';
import { backupCommand } from './backup.js';
import { bootstrapCommand, uninstallCommand } from './bootstrap.js';
import { completionCommand } from './completion.js';
import { createCommand } from './create.js';
import { dashboardCommand } from './dashboard.js';
import { deleteCommand } from './delete.js';
import { eipCommand } from './eip.js';
import { initCommand } from './init.js';
import { kubeconfigCommand } from './kubeconfig.js';
import { listCommand } from './list.js';
import { localCommand } from './local.js';
import type { CommandModule } from './registry.js';
import { restoreCommand } from './restore.js';
import { scaleCommand } from './scale.js';
import { schemaCommand } from './schema.js';
import { sshCommand } from './ssh.js';
import { statusCommand } from './status.js';
import { storeCommand } from './store.js';
import { templateCommand } from './template.js';
import { updateCommand } from './update.js';
import { upgradeCommand } from './upgrade.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';

/** Every subcommand, in the order `tugboat --help` lists them. One line per command file. */
export const commands: readonly CommandModule[] = [
  initCommand,
  validateCommand,
  templateCommand,
  schemaCommand,
  createCommand,
  updateCommand,
  upgradeCommand,
  statusCommand,
  listCommand,
  scaleCommand,
  eipCommand,
  deleteCommand,
  backupCommand,
  restoreCommand,
  controlPlaneCommand,
  storeCommand,
  localCommand,
  dashboardCommand,
  agentCommand,
  bootstrapCommand,
  uninstallCommand,
  kubeconfigCommand,
  sshCommand,
  completionCommand,
  versionCommand,
];
