/**
 * Runtime cost accounting for CEL rules. @bufbuild/cel has no cost tracker, so the values handed to
 * it are metered: every list element or map key a rule iterates, every list it concatenates and
 * every kilobyte a regular expression scans is charged here. Going over the budget throws, which
 * the evaluator turns into a CelError; `exceeded` tells the caller why.
 */

/** Most cost units one rule (or messageExpression) evaluation may spend (upstream PerCallLimit). */
export const PER_CALL_LIMIT = 1_000_000;

/**
 * Most cost units all the rules of one write may spend together. Lower than upstream's
 * RuntimeCELCostBudget (10,000,000) because a unit here is coarser (about 0.4 µs of work):
 * 2,000,000 units hold the event loop for about a second at worst.
 */
export const REQUEST_BUDGET = 2_000_000;

/** Wall-clock backstop for one write's rules, whatever the units said (checked every 4096 units). */
export const REQUEST_DEADLINE_MS = 1_000;

/** Thrown from inside an evaluation when a limit is hit. */
export class CelCostError extends Error {}

/** One write's meter: a request budget and a per-call limit, reset with `startCall`. */
export class CelMeter {
  spent = 0;
  private callStart = 0;
  exceeded: 'call' | 'request' | undefined;
  private readonly deadline: number;

  constructor(
    readonly budget = REQUEST_BUDGET,
    readonly perCall = PER_CALL_LIMIT,
    deadlineMs = REQUEST_DEADLINE_MS,
  ) {
    this.deadline = Date.now() + deadlineMs;
  }

  /** Starts one rule's evaluation (its own per-call limit). */
  startCall(): void {
    this.callStart = this.spent;
    this.exceeded = undefined;
  }

  /** Charges `units`; throws CelCostError past a limit. */
  charge(units: number): void {
    const before = this.spent;
    this.spent += units;
    if (this.spent > this.budget) this.fail('request');
    if (this.spent - this.callStart > this.perCall) this.fail('call');
    if (before >> 12 !== this.spent >> 12 && Date.now() > this.deadline) this.fail('request');
  }

  /** True once the request budget is gone. */
  get exhausted(): boolean {
    return this.spent >= this.budget || Date.now() > this.deadline;
  }

  private fail(kind: 'call' | 'request'): never {
    this.exceeded = kind;
    throw new CelCostError('operation cancelled: actual cost limit exceeded');
  }
}

/** `it`, charging `meter` one unit per value it yields. */
function* metered<T>(it: Iterator<T>, meter: CelMeter): Generator<T, undefined, unknown> {
  for (let r = it.next(); !r.done; r = it.next()) {
    meter.charge(1);
    yield r.value;
  }
}

/** An array whose iteration charges the meter one unit per element. */
export class MeteredList<T> extends Array<T> {
  meter?: CelMeter;

  static of2<T>(items: readonly T[], meter: CelMeter): MeteredList<T> {
    const list = new MeteredList<T>();
    for (const item of items) list.push(item);
    list.meter = meter;
    return list;
  }

  override values(): ArrayIterator<T> {
    return this.meter ? (metered(super.values(), this.meter) as ArrayIterator<T>) : super.values();
  }
}

/** A Map whose key or entry iteration charges the meter one unit per key. */
export class MeteredMap<V> extends Map<string, V> {
  constructor(
    entries: Iterable<readonly [string, V]>,
    readonly meter: CelMeter,
  ) {
    super(entries);
  }

  override keys(): MapIterator<string> {
    return metered(super.keys(), this.meter) as MapIterator<string>;
  }

  override entries(): MapIterator<[string, V]> {
    return metered(super.entries(), this.meter) as MapIterator<[string, V]>;
  }
}
