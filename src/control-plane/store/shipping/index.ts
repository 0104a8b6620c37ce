export {
  type BackupInfo,
  backupName,
  createBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
  uploadBackup,
} from './backup.js';
export {
  type BackupSchedule,
  type BackupScheduleOptions,
  checkBackupSchedule,
  startBackupSchedule,
} from './backup-schedule.js';
export { type EtcdRestoreOptions, type EtcdRestoreResult, restoreEtcdFromBackup } from './etcd-restore.js';
export type { StateTarget } from './layout.js';
export { claimGeneration, isFenced, listGenerations } from './lease.js';
export {
  GENERATION_FILE,
  type PreparedShipping,
  type PrepareShippingOptions,
  prepareShipping,
} from './prepare.js';
export { pruneShipped } from './prune.js';
export {
  findShippedState,
  type RestoredState,
  type RestoreStateOptions,
  restoreState,
  type ShippedState,
  StateRestoreError,
} from './restore.js';
export {
  type AppliedBackupRestore,
  applyBackupRestore,
  type BackupRestorePlan,
  type ChangeList,
  type PreparedBackupRestore,
  prepareBackupRestore,
} from './restore-backup.js';
export { type ShippingStatus, StateShipper, type StateShipperOptions } from './shipper.js';
export { createStoreBackup, type StoreBackupOptions } from './store-backup.js';
