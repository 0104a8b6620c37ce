import type { InformerSet } from '../machinery/informers.js';
import type { Action } from './actions.js';
import type { ControllerRunner, ReconcileResult } from './runner.js';

/** What the controller manager lends each group of controllers it registers. */
export interface ControllerDeps {
  readonly informers: InformerSet;
  /** A work queue named `name` whose workers (default: the manager's count) run `reconcile`. */
  readonly make: (
    name: string,
    reconcile: (key: string) => Promise<ReconcileResult | undefined>,
    workers?: number,
  ) => ControllerRunner;
  /** Applies actions in order, stopping at the first failure (the key is retried). */
  readonly apply: (actions: Action[]) => Promise<void>;
  /** Applies each action on its own, logging failures (whole-cluster loops). */
  readonly applyEach: (loop: string, actions: Action[]) => Promise<void>;
}
