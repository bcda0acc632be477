// `npm run bench:assign`: how long solveAssignment (server/assign) takes to
// plan a city's open needs onto its open offers, and what exactness buys over
// a greedy plan. Pure CPU: no database.
//
//   node --import tsx test/bench/assign.ts
//
// Graphs: N needs and N offers uniform over a 15 × 15 km square; an edge
// wherever need and offer are within a radius chosen so the average need has
// DEGREE candidate offers (the radius is the DEGREE·N-th shortest distance);
// offer capacity 1–4; one offer in five belongs to a busy helper and carries
// a fairness penalty of 300, 600 or 900 m. Edges come per need, nearest first.
//
// - unit: every need 1 unit (the main figures, targets below).
// - multi-unit: a fraction MULTI of needs asks for 2–4 units (seats,
//   servings), served whole by one offer. One component spans the city.
// - multi-unit by category: the same, but needs and offers each have one of
//   CATEGORIES categories and only same-category pairs are edges (as the
//   matching rules have it), at the same radius: the graph falls apart into
//   the small components real plans have.
//
// Floor: a greedy pass (cheapest edge first, take it if the need is open and
// the offer has room), and Hopcroft–Karp's maximum matching with capacities
// (the most needs any plan can serve, distance ignored; unit needs only), on
// the same graph.
//
// Env: SIZES (default 1000,5000), REPS timed runs per figure after one
// warm-up (default 7), DEGREE (default 25), MULTI (default 0.3), CATEGORIES
// (default 10), SEED (default 1), TIME_LIMIT_MS for the multi-unit search
// (default 1000, the solver's default).
// Targets (unit needs): ≤ 50 ms at 1,000 × 1,000, ≤ 1.5 s at 5,000 × 5,000.
import { cpus } from 'node:os';
import { type AssignEdge, type AssignInput, solveAssignmentWithStats } from '../../server/assign/solve';
import { intEnv, machineLoad } from './env';
import { prng } from '../random';

const SIZES = listEnv('SIZES', [1000, 5000]);
const REPS = intEnv('REPS', 7);
const DEGREE = intEnv('DEGREE', 25);
const MULTI = Number(process.env.MULTI || 0.3);
if (!(MULTI >= 0 && MULTI <= 1)) {
  console.error(`MULTI must be a fraction between 0 and 1, got "${process.env.MULTI}"`);
  process.exit(2);
}
const CATEGORIES = intEnv('CATEGORIES', 10);
const SEED = intEnv('SEED', 1);
const TIME_LIMIT_MS = intEnv('TIME_LIMIT_MS', 1000);
const SIDE_M = 15_000;
const TARGET_MS: Record<number, number> = { 1000: 50, 5000: 1500 };


function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const list = raw.split(',').map((s) => Number(s.replace(/_/g, '')));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
    process.exit(2);
  }
  return list;
}


interface City {
  input: AssignInput;
  radiusM: number;
}

/** The same city for the same size and seed: only units and categories vary with the arguments. */
function buildCity(size: number, seed: number, multi: number, categories = 1): City {
  const random = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const needXY = Array.from({ length: size }, () => [random() * SIDE_M, random() * SIDE_M] as const);
  const offerXY = Array.from({ length: size }, () => [random() * SIDE_M, random() * SIDE_M] as const);
  const offers = offerXY.map((_, j) => ({ id: `offer-${j}`, capacity: int(1, 4) }));
  const penalty = offers.map(() => (random() < 0.2 ? int(1, 3) * 300 : 0));
  // Drawn from streams of their own, so the places, capacities and penalties above stay the same.
  const unitDraw = prng(seed + 1);
  const needs = needXY.map((_, i) => ({ id: `need-${i}`, units: unitDraw() < multi ? 2 + Math.floor(unitDraw() * 3) : 1 }));
  const categoryDraw = prng(seed + 2);
  const needCategory = needs.map(() => Math.floor(categoryDraw() * categories));
  const offerCategory = offers.map(() => Math.floor(categoryDraw() * categories));
  // Candidates within a generous radius through a grid, then the radius that gives DEGREE per need.
  const guess = 1.4 * Math.sqrt((DEGREE * SIDE_M * SIDE_M) / (Math.PI * size));
  const cells = Math.max(1, Math.floor(SIDE_M / guess));
  const cellOf = (v: number) => Math.min(cells - 1, Math.floor((v / SIDE_M) * cells));
  const grid: number[][] = Array.from({ length: cells * cells }, () => []);
  offerXY.forEach(([x, y], j) => grid[cellOf(y) * cells + cellOf(x)]!.push(j));
  const near: { need: number; offer: number; d: number }[] = [];
  needXY.forEach(([x, y], i) => {
    const cx = cellOf(x);
    const cy = cellOf(y);
    for (let gy = Math.max(0, cy - 1); gy <= Math.min(cells - 1, cy + 1); gy++) {
      for (let gx = Math.max(0, cx - 1); gx <= Math.min(cells - 1, cx + 1); gx++) {
        for (const j of grid[gy * cells + gx]!) {
          const d = Math.hypot(offerXY[j]![0] - x, offerXY[j]![1] - y);
          if (d <= guess) {
            near.push({ need: i, offer: j, d: Math.round(d * 10) / 10 });
          }
        }
      }
    }
  });
  const sorted = Float64Array.from(near, (p) => p.d).sort();
  const radiusM = sorted[Math.min(sorted.length, DEGREE * size) - 1]!;
  // As the candidate query returns them: per need, nearest first.
  const edges: AssignEdge[] = near
    .filter((p) => p.d <= radiusM && needCategory[p.need] === offerCategory[p.offer])
    .sort((a, b) => a.need - b.need || a.d - b.d || a.offer - b.offer)
    .map((p) => ({ needId: needs[p.need]!.id, offerId: offers[p.offer]!.id, distanceM: p.d, penaltyM: penalty[p.offer]! }));
  return { input: { needs, offers, edges }, radiusM };
}

interface Outcome {
  served: number;
  totalDistanceM: number;
  costM: number;
}

/** Cheapest edge (distance + penalty) first; take it when the need is open and the offer has room. */
function greedy(input: AssignInput): Outcome {
  const units = new Map(input.needs.map((n) => [n.id, n.units]));
  const room = new Map(input.offers.map((o) => [o.id, o.capacity]));
  const served = new Set<string>();
  const order = input.edges.map((_, e) => e);
  const cost = input.edges.map((e) => e.distanceM + (e.penaltyM ?? 0));
  order.sort((a, b) => cost[a]! - cost[b]! || a - b);
  let totalDistanceM = 0;
  let costM = 0;
  for (const e of order) {
    const edge = input.edges[e]!;
    const u = units.get(edge.needId)!;
    const left = room.get(edge.offerId)!;
    if (!served.has(edge.needId) && left >= u) {
      served.add(edge.needId);
      room.set(edge.offerId, left - u);
      totalDistanceM += edge.distanceM;
      costM += cost[e]!;
    }
  }
  return { served: served.size, totalDistanceM: Math.round(totalDistanceM * 10) / 10, costM };
}

/** Hopcroft–Karp with offer capacities (every need 1 unit): the most needs any plan can serve. */
function maxServed(input: AssignInput): number {
  const n = input.needs.length;
  const needIndex = new Map(input.needs.map((x, i) => [x.id, i]));
  const offerIndex = new Map(input.offers.map((x, j) => [x.id, j]));
  const start = new Int32Array(n + 1);
  for (const e of input.edges) {
    start[needIndex.get(e.needId)! + 1]!++;
  }
  for (let i = 0; i < n; i++) {
    start[i + 1]! += start[i]!;
  }
  const adj = new Int32Array(input.edges.length);
  const fill = start.slice(0, n);
  for (const e of input.edges) {
    adj[fill[needIndex.get(e.needId)!]!++] = offerIndex.get(e.offerId)!;
  }
  const cap = Int32Array.from(input.offers, (o) => o.capacity);
  const holders: number[][] = input.offers.map(() => []);
  const match = new Int32Array(n).fill(-1);
  const dist = new Int32Array(n);
  const INF = 1 << 30;
  const bfs = (): boolean => {
    const queue: number[] = [];
    for (let i = 0; i < n; i++) {
      dist[i] = match[i]! < 0 ? 0 : INF;
      if (match[i]! < 0) {
        queue.push(i);
      }
    }
    let found = false;
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q]!;
      for (let k = start[u]!; k < start[u + 1]!; k++) {
        const j = adj[k]!;
        if (holders[j]!.length < cap[j]!) {
          found = true;
        } else {
          for (const w of holders[j]!) {
            if (dist[w] === INF) {
              dist[w] = dist[u]! + 1;
              queue.push(w);
            }
          }
        }
      }
    }
    return found;
  };
  const dfs = (u: number): boolean => {
    for (let k = start[u]!; k < start[u + 1]!; k++) {
      const j = adj[k]!;
      const list = holders[j]!;
      if (list.length < cap[j]!) {
        list.push(u);
        match[u] = j;
        return true;
      }
      for (let h = 0; h < list.length; h++) {
        const w = list[h]!;
        if (dist[w] === dist[u]! + 1 && dfs(w)) {
          list[h] = u;
          match[u] = j;
          return true;
        }
      }
    }
    dist[u] = INF;
    return false;
  };
  let served = 0;
  while (bfs()) {
    for (let i = 0; i < n; i++) {
      if (match[i]! < 0 && dfs(i)) {
        served++;
      }
    }
  }
  return served;
}

function timed<T>(reps: number, run: () => T): { ms: number[]; result: T } {
  let result = run(); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    result = run();
    ms.push(performance.now() - t0);
  }
  return { ms: ms.sort((a, b) => a - b), result };
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const median = (sorted: number[]) => sorted[Math.floor((sorted.length - 1) / 2)]!;
const km = (m: number) => `${(m / 1000).toLocaleString('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} km`;

function describe(label: string, city: City): void {
  const { needs, edges } = city.input;
  const degree = edges.length / needs.length;
  const units = needs.reduce((s, n) => s + n.units, 0);
  const multi = needs.filter((n) => n.units > 1).length;
  console.log(
    `\n${label}: ${needs.length.toLocaleString('en')} needs × ${needs.length.toLocaleString('en')} offers, ` +
      `${edges.length.toLocaleString('en')} edges, average degree ${degree.toFixed(1)} (radius ${Math.round(city.radiusM)} m)` +
      (multi > 0 ? `, ${multi.toLocaleString('en')} needs of 2–4 units (${units.toLocaleString('en')} units in all)` : ''),
  );
}

function row(name: string, ms: number[], o: Outcome & { extra?: string }): void {
  console.log(
    `  ${name.padEnd(26)} median ${fmtMs(median(ms)).padStart(6)} ms  max ${fmtMs(ms.at(-1)!).padStart(6)} ms  ` +
      `served ${String(o.served).padStart(5)}  distance ${km(o.totalDistanceM).padStart(10)}  cost ${km(o.costM).padStart(10)}` +
      (o.extra ? `  ${o.extra}` : ''),
  );
}

function planCost(input: AssignInput, pairs: { needId: string; offerId: string }[]): number {
  const cost = new Map(input.edges.map((e) => [`${e.needId}|${e.offerId}`, e.distanceM + (e.penaltyM ?? 0)]));
  return pairs.reduce((s, p) => s + cost.get(`${p.needId}|${p.offerId}`)!, 0);
}

console.log(
  `bench:assign — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}; ` +
    `REPS=${REPS} (after one warm-up), DEGREE=${DEGREE}, MULTI=${MULTI}, CATEGORIES=${CATEGORIES}, SEED=${SEED}, TIME_LIMIT_MS=${TIME_LIMIT_MS}; ${machineLoad()}`,
);
console.log('cost = distance + fairness penalty (minimised after the number served); distance excludes penalties');

function multiUnit(label: string, city: City): void {
  describe(label, city);
  const floor = timed(REPS, () => greedy(city.input));
  row('floor: greedy', floor.ms, floor.result);
  const exactFlags: boolean[] = [];
  const run = timed(REPS, () => {
    const result = solveAssignmentWithStats(city.input, { timeLimitMs: TIME_LIMIT_MS });
    exactFlags.push(result.plan.exact);
    return result;
  });
  const { plan, stats } = run.result;
  const cost = planCost(city.input, plan.pairs);
  row('solveAssignment', run.ms, {
    ...plan,
    costM: cost,
    extra:
      `exact ${plan.exact} (${exactFlags.filter(Boolean).length} of ${exactFlags.length} runs), ` +
      `${stats.components} components, ${stats.multiUnitComponents} with multi-unit needs ` +
      `(largest ${stats.largestComponent.needs} needs), ${stats.searchNodes} search nodes`,
  });
  const bound = stats.costBoundM;
  console.log(
    `  proven: no plan serves more than ${stats.servedBound}` +
      (bound === null
        ? ''
        : `; none serving ${stats.servedBound} costs less than ${km(bound)} ` +
          (plan.exact ? '(this plan: optimal)' : `(this plan: ${(((cost - bound) / bound) * 100).toFixed(2)} % above)`)),
  );
  console.log(
    `  vs greedy: +${plan.served - floor.result.served} served, ` +
      `cost ${km(cost - floor.result.costM)}, distance ${km(plan.totalDistanceM - floor.result.totalDistanceM)}`,
  );
}

for (const size of SIZES) {
  const seed = SEED * 7919 + size;
  const city = buildCity(size, seed, 0);
  describe('unit needs', city);
  const floor = timed(REPS, () => greedy(city.input));
  row('floor: greedy', floor.ms, floor.result);
  const hk = timed(REPS, () => maxServed(city.input));
  row('floor: max matching (HK)', hk.ms, { served: hk.result, totalDistanceM: 0, costM: 0, extra: '(distance ignored)' });
  const exact = timed(REPS, () => solveAssignmentWithStats(city.input));
  const { plan, stats } = exact.result;
  const cost = planCost(city.input, plan.pairs);
  row('solveAssignment', exact.ms, {
    ...plan,
    costM: cost,
    extra: `exact ${plan.exact}, ${stats.components} components (largest ${stats.largestComponent.needs} needs), ${stats.shortestPaths} shortest paths`,
  });
  const target = TARGET_MS[size];
  if (target) {
    console.log(`  target ≤ ${target} ms: median ${fmtMs(median(exact.ms))} ms, ${median(exact.ms) <= target ? 'met' : 'MISSED'}`);
  }
  if (hk.result !== plan.served) {
    console.log(`  CHECK FAILED: Hopcroft–Karp serves ${hk.result}, the plan ${plan.served}`);
  }
  const g = floor.result;
  console.log(
    `  exact vs greedy: +${plan.served - g.served} served, cost ${km(cost - g.costM)} ` +
      `(${(((cost - g.costM) / g.costM) * 100).toFixed(1)} %), distance ${km(plan.totalDistanceM - g.totalDistanceM)}`,
  );

  multiUnit('multi-unit needs', buildCity(size, seed, MULTI));
  multiUnit(`multi-unit needs by category (${CATEGORIES})`, buildCity(size, seed, MULTI, CATEGORIES));
}
console.log(`${machineLoad()} at the end`);
