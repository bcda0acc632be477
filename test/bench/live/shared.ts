// What the driver (test/bench/live.ts) and its client process
// (test/bench/live/clients.ts) say to each other over IPC, and the small
// helpers both use. Times are process.hrtime.bigint() as a Number of
// nanoseconds: CLOCK_MONOTONIC, the same clock in every process on one Linux
// machine, so a time taken in the driver and one taken in the client process
// can be subtracted.

/** Now, in nanoseconds of CLOCK_MONOTONIC. */
export const nowNs = (): number => Number(process.hrtime.bigint());

/** A viewport: west, south, east, north (degrees), as the subscribe frame carries it. */
export type BBox = [west: number, south: number, east: number, north: number];

/** Whether the point is inside the box, the way the hub and the floor route (no antimeridian here). */
export const inBox = (b: BBox | Float64Array, k: number, lat: number, lng: number): boolean =>
  lat >= b[k + 1]! && lat <= b[k + 3]! && lng >= b[k]! && lng <= b[k + 2]!;

export interface OpenCommand {
  cmd: 'open';
  /** The WebSocket URLs of the servers; socket i goes to urls[group[i]]. */
  urls: string[];
  group: Uint8Array;
  /** 4 numbers per socket: west, south, east, north. */
  boxes: Float64Array;
  /** Session cookie headers by socket index (the signed-in sockets). */
  cookies: Record<number, string>;
  concurrency: number;
}

/** One post as the driver saw it: when it asked, when the answer came, where the event routes it. */
export interface PostTiming {
  id: string;
  /** The time the post was due to be sent (the schedule, so a backlog counts). */
  sendNs: number;
  /** The 201 (server) or the floor's answer to the publish request; NaN when it failed. */
  ackNs: number;
  /** When the driver heard the NOTIFY of the post's commit (the server phases; NaN for the floor or when unknown). */
  commitNs: number;
  /** The public point the event is routed by (events.lat/lng). */
  lat: number;
  lng: number;
}

export type Command =
  | OpenCommand
  /** Forget what was received so far and start counting (the measured window begins). */
  | { cmd: 'record' }
  /** The warm-up is over: CPU and event-loop delay are measured from here. */
  | { cmd: 'mark' }
  /** How many frames were recorded so far (the driver waits until this stops growing). */
  | { cmd: 'count' }
  | { cmd: 'report'; posts: PostTiming[]; groups: number }
  | { cmd: 'close' };

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

export interface GroupReport {
  /** Deliveries of listed posts (first copy per socket and post). */
  delivered: number;
  expected: number;
  /** Expected (socket, post) pairs that never arrived. */
  missing: number;
  /** Deliveries to a socket whose box does not hold the point. */
  unexpected: number;
  duplicates: number;
  /** Milliseconds from the 201 (the floor: its answer) to receipt. */
  fromAck: Latency;
  /** Milliseconds from the scheduled send of the post to receipt. */
  fromSend: Latency;
  /** Milliseconds from the commit's NOTIFY (as the driver heard it) to receipt. */
  fromCommit: Latency;
  /** Milliseconds from the first socket (of this group) to receive the post to this one: the fan-out itself. */
  spread: Latency;
  /** Deliveries per second over [first send, last receipt]. */
  perSecond: number;
  /** Subscribed sockets in this group. */
  sockets: number;
}

export interface Report {
  groups: GroupReport[];
  all: GroupReport;
  /** Frames of posts not in the list (warm-up posts) and other frames, by type. */
  unlisted: number;
  otherFrames: Record<string, number>;
  closes: Record<string, number>;
  /** A few frames as received, by post id, to check the floor sends the same text. */
  samples: Record<string, string>;
}

export type Event =
  | { ev: 'ready' }
  | { ev: 'opened'; ok: number; failed: number; errors: Record<string, number>; ms: number }
  | { ev: 'recording' }
  /** Frames so far, and the client process's CPU (fraction of one core) and event-loop delay since `mark`. */
  | { ev: 'count'; count: number; cpu: number; loopDelayMs: { p50: number; p99: number; max: number } }
  | { ev: 'report'; report: Report }
  | { ev: 'closed'; ms: number };

/** Nearest-rank percentiles of a sorted array. */
export function latency(sorted: Float64Array): Latency {
  const n = sorted.length;
  if (n === 0) {
    return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, min: NaN, mean: NaN };
  }
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += sorted[i]!;
  }
  return { n, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1]!, min: sorted[0]!, mean: sum / n };
}
