/** A CustomResourceDefinition status condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** `list` with `next` set: its lastTransitionTime moves only when the status changes, as upstream. */
export function setCondition(list: readonly Condition[], next: Condition, now: string): Condition[] {
  const old = list.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  return [...list.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}
