/**
 * The kubelet Summary API (`/stats/summary`, package k8s.io/kubelet/pkg/apis/stats/v1alpha1): the
 * subset the agent serves and the metrics scraper reads.
 */

/** CPU of a node, pod or container at `time`. */
export interface CpuStats {
  readonly time: string;
  /** Average over the last sampling window; absent until there are two samples. */
  readonly usageNanoCores?: number;
  /** Cumulative CPU time since the container (or node) started. */
  readonly usageCoreNanoSeconds: number;
}

/** Memory of a node, pod or container at `time`. */
export interface MemoryStats {
  readonly time: string;
  readonly availableBytes?: number;
  readonly usageBytes: number;
  /** Usage minus inactive file cache: what `kubectl top` shows and the OOM killer weighs. */
  readonly workingSetBytes: number;
  readonly rssBytes?: number;
}

/** One container of a pod. */
export interface ContainerStats {
  readonly name: string;
  readonly startTime: string;
  readonly cpu: CpuStats;
  readonly memory: MemoryStats;
}

/** One pod: its running containers and their sum. */
export interface PodStats {
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid: string };
  readonly startTime: string;
  readonly containers: readonly ContainerStats[];
  readonly cpu: CpuStats;
  readonly memory: MemoryStats;
}

/** The whole answer of `/stats/summary`. */
export interface Summary {
  readonly node: {
    readonly nodeName: string;
    readonly startTime: string;
    readonly cpu: CpuStats;
    readonly memory: MemoryStats;
  };
  readonly pods: readonly PodStats[];
}
