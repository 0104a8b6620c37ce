import type { CommandModule } from './registry.js';

/** Flags of `tugboat store repair`. */
export interface StoreRepairFlags {
  readonly yes: boolean;
}

/** `tugboat store repair DIR`: the explicit recovery for an embedded store that refuses to start. */
export const storeCommand: CommandModule = {
  define(program, run) {
    const store = program.command('store').description("the control plane's embedded store");
    const repair = store
      .command('repair')
      .description(
        'cut a damaged write-ahead log at the damage (or set a damaged snapshot aside), keeping copies; says what it drops first',
      )
      .argument('<dir>', 'data directory of the embedded store (--data-dir of tugboat control-plane)')
      .option('--yes', 'do not ask for confirmation', false);
    repair.action(
      run(async (io, globals) => {
        const { runStoreRepair } = await import('./store-run.js');
        return runStoreRepair(io, globals, repair.args[0] ?? '', repair.opts<StoreRepairFlags>());
      }),
    );
  },
};
