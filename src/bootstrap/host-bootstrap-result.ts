import type { HostInstallResult } from './host-install.js';

/** What happened on one host. */
export type HostAction = 'installed' | 'unchanged' | 'skipped-ready';

/** What {@link bootstrapInventory} did on one host. */
export interface HostBootstrapResult {
  /** `installed`: files uploaded or service (re)started; `unchanged`: checked, nothing to do; `skipped-ready`: not touched. */
  readonly action: HostAction;
  /** How the service runs (absent when the host was skipped). */
  readonly mode?: HostInstallResult['mode'];
  readonly filesUploaded: number;
  readonly bytesUploaded: number;
  readonly serviceChanged: boolean;
  /** True when the pinned Node.js runtime was sent to the host (it lacked that exact one). */
  readonly runtimeUploaded: boolean;
}

export const SKIPPED: HostBootstrapResult = {
  action: 'skipped-ready',
  filesUploaded: 0,
  bytesUploaded: 0,
  serviceChanged: false,
  runtimeUploaded: false,
};

export const actionOf = (r: HostInstallResult, runtimeUploaded: boolean): HostBootstrapResult => ({
  ...r,
  runtimeUploaded,
  action: r.filesUploaded > 0 || r.serviceChanged || runtimeUploaded ? 'installed' : 'unchanged',
});

/** What installing the control plane and then an agent on one (schedulable) master did. */
export const bothServices = (a: HostInstallResult, b: HostInstallResult): HostInstallResult => ({
  mode: a.mode,
  filesUploaded: a.filesUploaded + b.filesUploaded,
  bytesUploaded: a.bytesUploaded + b.bytesUploaded,
  serviceChanged: a.serviceChanged || b.serviceChanged,
});
