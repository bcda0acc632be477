// A plan for organizers: which open offer serves which open need, over the
// candidate graph the database builds (every edge already passed the matching
// rules). Pure: no database, no clock but the time limit.
//
// Objective, lexicographic: serve as many needs as possible, then the least
// total cost (distance + fairness penalty). A need left unserved costs `big`,
// more than all real costs of any plan add up to (integerCosts below), so one
// objective, cost + big × unserved, orders plans the same way. Costs are
// compared in integer decimetres: "exact" means optimal for costs rounded to
// 0.1 m. totalDistanceM is the sum of the given distances, rounded to 0.1 m.
//
// - All units 1 (riders, one seat each): a min-cost flow, solved exactly by
//   successive shortest paths (flow.ts). Always exact.
// - Some need of several units, served whole by one offer: branch and bound
//   over the flow relaxation with split units (unsplittable.ts), within
//   timeLimitMs; `exact` says whether the plan was proven optimal.
// Both run per connected component of the graph: components are independent,
// and real ones are small.
import type { Network } from './flow';
import { type ComponentProblem, type ComponentSolution, perUnit, solveUnitComponent, solveUnsplittableComponent } from './unsplittable';

export interface AssignNeed {
  id: string;
  /** Riders, servings: served whole by one offer or not at all. Integer ≥ 1. */
  units: number;
}

export interface AssignOffer {
  id: string;
  /** Units in total across the needs it serves. Integer ≥ 1. */
  capacity: number;
}

export interface AssignEdge {
  needId: string;
  offerId: string;
  distanceM: number;
  /** Extra cost in metres (fairness: busy helpers cost more). Default 0. */
  penaltyM?: number;
}

export interface AssignPair {
  needId: string;
  offerId: string;
  distanceM: number;
}

export interface AssignPlan {
  /** In the needs' input order. */
  pairs: AssignPair[];
  served: number;
  /** Σ distanceM of the pairs (penalties not included), rounded to 0.1 m. */
  totalDistanceM: number;
  /** Proven optimal. Always true when every need has 1 unit; otherwise false if the time limit cut the search. */
  exact: boolean;
}

export interface AssignInput {
  needs: AssignNeed[];
  offers: AssignOffer[];
  edges: AssignEdge[];
}

export interface AssignOptions {
  /** Budget for the multi-unit search, all components together. Default 1,000 ms. */
  timeLimitMs?: number;
  /**
   * The multi-unit search stops once the whole plan is proven within this
   * fraction of the best possible cost (0.005: at most 0.5% more). Default 0:
   * it searches until proven optimal or out of time.
   */
  gap?: number;
}

export interface AssignStats {
  /** Components with at least one usable edge. */
  components: number;
  largestComponent: { needs: number; offers: number; edges: number };
  /** Components holding a need of more than one unit (searched by branch and bound). */
  multiUnitComponents: number;
  /** Branch-and-bound nodes expanded. */
  searchNodes: number;
  /** Shortest-path searches (Dijkstra runs). */
  shortestPaths: number;
  /** Proven: no plan serves more needs. */
  servedBound: number;
  /**
   * Proven: no plan serving servedBound needs costs less (distance + penalty,
   * metres). Null when the search could not bound it.
   */
  costBoundM: number | null;
  /** The plan's own cost on the same terms (distance + penalty, metres). */
  costM: number;
}

export const DEFAULT_TIME_LIMIT_MS = 1000;

/** Costs per metre: decimetres, so comparisons are exact at 0.1 m. */
const COST_RESOLUTION = 10;
/** Largest cost sum a component may reach; leaves headroom below 2^53 for the potentials' drift. */
const SAFE_COST = 2 ** 46;
/** Units' common multiple beyond which per-unit costs are kept as fractions. */
const MAX_UNIT_SCALE = 2 ** 16;

export function solveAssignment(input: AssignInput, options: AssignOptions = {}): AssignPlan {
  return solveAssignmentWithStats(input, options).plan;
}

export function solveAssignmentWithStats(input: AssignInput, options: AssignOptions = {}): { plan: AssignPlan; stats: AssignStats } {
  const started = performance.now();
  const timeLimitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  if (typeof timeLimitMs !== 'number' || !(timeLimitMs >= 0)) {
    throw new Error(`assignment: timeLimitMs must be a number ≥ 0, got ${String(timeLimitMs)}`);
  }
  const gap = options.gap ?? 0;
  if (typeof gap !== 'number' || !(gap >= 0 && gap < 1)) {
    throw new Error(`assignment: gap must be a number in [0, 1), got ${String(gap)}`);
  }
  const graph = validate(input);
  const components = splitComponents(graph);
  const stats: AssignStats = {
    components: components.length,
    largestComponent: { needs: 0, offers: 0, edges: 0 },
    multiUnitComponents: 0,
    searchNodes: 0,
    shortestPaths: 0,
    servedBound: 0,
    costBoundM: 0,
    costM: 0,
  };
  // What the components solved so far cost, and how far above their bounds they are proven (metres).
  let costSoFar = 0;
  let slackSoFar = 0;
  const chosen = new Int32Array(input.needs.length).fill(-1);
  const multiUnit: Component[] = [];
  let exact = true;
  const record = (c: Component, p: ComponentProblem, solution: ComponentSolution) => {
    solution.edgeOf.forEach((e, i) => {
      if (e >= 0) {
        chosen[c.needs[i]!] = c.edges[e]!;
      }
    });
    exact &&= solution.exact;
    stats.searchNodes += solution.nodes;
    stats.shortestPaths += solution.searches;
    stats.servedBound += solution.servedBound;
    stats.costBoundM =
      stats.costBoundM === null || solution.costBound === null ? null : stats.costBoundM + solution.costBound / p.resolution;
    const cost = solution.edgeOf.reduce((sum, e) => sum + (e >= 0 ? p.costInt[e]! : 0), 0) / p.resolution;
    costSoFar += cost;
    slackSoFar += solution.costBound === null ? Infinity : cost - solution.costBound / p.resolution;
  };
  for (const c of components) {
    if (c.edges.length > stats.largestComponent.edges) {
      stats.largestComponent = { needs: c.needs.length, offers: c.offers.length, edges: c.edges.length };
    }
    if (c.needs.some((i) => graph.units[i] !== 1)) {
      multiUnit.push(c);
    } else {
      const p = componentProblem(graph, c);
      record(c, p, solveUnitComponent(p));
    }
  }
  // Small components first: they finish within the budget; a large one then gets what is left.
  // The gap is the whole plan's: a component may stop once its plan is within gap × its own cost of
  // its bound, plus a share of what the others leave unused (the exact ones all of theirs), shared
  // evenly among the components still to search. What all are proven above their bounds then stays
  // within gap × what all cost.
  stats.multiUnitComponents = multiUnit.length;
  const deadline = started + timeLimitMs;
  let left = multiUnit.length;
  for (const c of multiUnit.sort((a, b) => a.edges.length - b.edges.length || a.needs[0]! - b.needs[0]!)) {
    const p = componentProblem(graph, c);
    const spare = (gap * costSoFar - slackSoFar) / left--;
    record(c, p, solveUnsplittableComponent(p, deadline, (cost) => gap * cost + spare * p.resolution));
  }
  const pairs: AssignPair[] = [];
  let total = 0;
  for (let i = 0; i < chosen.length; i++) {
    const e = chosen[i]!;
    if (e >= 0) {
      const edge = input.edges[e]!;
      pairs.push({ needId: edge.needId, offerId: edge.offerId, distanceM: edge.distanceM });
      total += edge.distanceM;
      stats.costM += graph.edgeCost[e]!;
    }
  }
  return { plan: { pairs, served: pairs.length, totalDistanceM: Math.round(total * 10) / 10, exact }, stats };
}

/** The input as indices: edge e joins need edgeNeed[e] and offer edgeOffer[e] (indices into the input arrays). */
interface Graph {
  units: Float64Array;
  capacity: Float64Array;
  edgeNeed: Int32Array;
  edgeOffer: Int32Array;
  /** distanceM + penaltyM. */
  edgeCost: Float64Array;
}

/** One side's ids to positions and their amounts, refusing a repeated id or an amount that is not an integer ≥ 1. */
function indexSide<T extends { id: string }>(items: T[], side: string, amountName: string, amountOf: (item: T) => number) {
  const index = new Map<string, number>();
  const amounts = new Float64Array(items.length);
  items.forEach((item, i) => {
    if (index.has(item.id)) {
      throw new Error(`assignment: duplicate ${side} id "${item.id}"`);
    }
    index.set(item.id, i);
    const amount = amountOf(item);
    if (!Number.isSafeInteger(amount) || amount < 1) {
      throw new Error(`assignment: ${side} "${item.id}" has ${amountName} ${amount}; ${amountName} must be an integer ≥ 1`);
    }
    amounts[i] = amount;
  });
  return { index, amounts };
}

function validate(input: AssignInput): Graph {
  const { needs, offers, edges } = input;
  const { index: needIndex, amounts: units } = indexSide(needs, 'need', 'units', (need) => need.units);
  const { index: offerIndex, amounts: capacity } = indexSide(offers, 'offer', 'capacity', (offer) => offer.capacity);
  const edgeNeed = new Int32Array(edges.length);
  const edgeOffer = new Int32Array(edges.length);
  const edgeCost = new Float64Array(edges.length);
  const seen = new Set<number>();
  edges.forEach((edge, e) => {
    const i = needIndex.get(edge.needId);
    const j = offerIndex.get(edge.offerId);
    if (i === undefined || j === undefined) {
      const which = i === undefined ? `need "${edge.needId}"` : `offer "${edge.offerId}"`;
      throw new Error(`assignment: edge ${e} refers to unknown ${which}`);
    }
    const key = i * offers.length + j;
    if (seen.has(key)) {
      throw new Error(`assignment: duplicate edge need "${edge.needId}" → offer "${edge.offerId}"`);
    }
    seen.add(key);
    if (!Number.isFinite(edge.distanceM) || edge.distanceM < 0) {
      throw new Error(`assignment: edge ${e} has distanceM ${edge.distanceM}; it must be a finite number ≥ 0`);
    }
    const penalty = edge.penaltyM ?? 0;
    if (!Number.isFinite(penalty) || penalty < 0) {
      throw new Error(`assignment: edge ${e} has penaltyM ${penalty}; it must be a finite number ≥ 0`);
    }
    edgeNeed[e] = i;
    edgeOffer[e] = j;
    edgeCost[e] = edge.distanceM + penalty;
  });
  return { units, capacity, edgeNeed, edgeOffer, edgeCost };
}

/** One connected part: input indices of its needs and offers (ascending) and of its edges, grouped by need. */
interface Component {
  needs: number[];
  offers: number[];
  edges: number[];
}

/**
 * Connected components over the usable edges (an edge to an offer smaller
 * than the need can never be used). Ordered by their first need; needs
 * without a usable edge belong to none and stay unserved.
 */
function splitComponents(g: Graph): Component[] {
  const n = g.units.length;
  const parent = Int32Array.from({ length: n + g.capacity.length }, (_, v) => v);
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]!]!;
      v = parent[v]!;
    }
    return v;
  };
  const byNeed: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < g.edgeNeed.length; e++) {
    const i = g.edgeNeed[e]!;
    const j = g.edgeOffer[e]!;
    if (g.units[i]! <= g.capacity[j]!) {
      byNeed[i]!.push(e);
      parent[find(i)] = find(n + j);
    }
  }
  const byRoot = new Map<number, Component>();
  const components: Component[] = [];
  for (let i = 0; i < n; i++) {
    if (byNeed[i]!.length === 0) {
      continue;
    }
    const root = find(i);
    let c = byRoot.get(root);
    if (!c) {
      c = { needs: [], offers: [], edges: [] };
      byRoot.set(root, c);
      components.push(c);
    }
    c.needs.push(i);
    c.edges.push(...byNeed[i]!);
  }
  for (let j = 0; j < g.capacity.length; j++) {
    byRoot.get(find(n + j))?.offers.push(j);
  }
  return components;
}

function componentProblem(g: Graph, c: Component): ComponentProblem {
  const n = c.needs.length;
  const m = c.offers.length;
  const localOffer = new Map<number, number>(c.offers.map((j, k) => [j, k]));
  const units = Float64Array.from(c.needs, (i) => g.units[i]!);
  const capacity = Float64Array.from(c.offers, (j) => g.capacity[j]!);
  const needStart = new Int32Array(n + 1);
  const edgeNeed = new Int32Array(c.edges.length);
  const edgeOffer = new Int32Array(c.edges.length);
  let i = -1;
  c.edges.forEach((e, k) => {
    while (c.needs[i + 1] !== undefined && c.needs[i + 1]! <= g.edgeNeed[e]!) {
      needStart[++i] = k;
    }
    edgeNeed[k] = i;
    edgeOffer[k] = localOffer.get(g.edgeOffer[e]!)!;
  });
  needStart[n] = c.edges.length;
  const offerStart = new Int32Array(m + 1);
  for (const j of edgeOffer) {
    offerStart[j + 1]!++;
  }
  for (let j = 0; j < m; j++) {
    offerStart[j + 1]! += offerStart[j]!;
  }
  const offerEdges = new Int32Array(c.edges.length);
  const fill = offerStart.slice(0, m);
  edgeOffer.forEach((j, k) => {
    offerEdges[fill[j]!++] = k;
  });

  const { costInt, big, resolution } = integerCosts(
    c.edges.map((e) => g.edgeCost[e]!),
    needStart,
  );
  let unitScale = 1;
  for (const u of units) {
    unitScale = lcm(unitScale, u);
    if (unitScale > MAX_UNIT_SCALE) {
      break;
    }
  }
  if (unitScale > MAX_UNIT_SCALE || (n + 1) * big * unitScale > SAFE_COST) {
    unitScale = 0;
  }
  const net: Network = {
    needs: n,
    offers: m,
    needStart,
    edgeNeed,
    edgeOffer,
    edgeCost: Float64Array.from(costInt, (cost, k) => perUnit({ unitScale }, cost, units[edgeNeed[k]!]!)),
    offerStart,
    offerEdges,
    dummyCost: Float64Array.from(units, (u) => perUnit({ unitScale }, big, u)),
  };
  return { net, units, capacity, costInt, big, unitScale, resolution };
}

/**
 * Costs as integers (decimetres) and the cost of an unserved need: one more
 * than the sum over needs of their dearest edge, which bounds the real cost of
 * any plan, so one more need served outweighs any saving in cost. Should the
 * sums outgrow exact double arithmetic (costs of thousands of km across tens
 * of thousands of needs), the resolution coarsens by tens.
 */
function integerCosts(cost: number[], needStart: Int32Array): { costInt: Float64Array; big: number; resolution: number } {
  const n = needStart.length - 1;
  for (let resolution = COST_RESOLUTION; ; resolution /= 10) {
    const costInt = Float64Array.from(cost, (c) => Math.round(c * resolution));
    let big = 1;
    for (let i = 0; i < n; i++) {
      let dearest = 0;
      for (let e = needStart[i]!; e < needStart[i + 1]!; e++) {
        dearest = Math.max(dearest, costInt[e]!);
      }
      big += dearest;
    }
    if ((n + 1) * big <= SAFE_COST || big === 1) {
      return { costInt, big, resolution };
    }
  }
}

function lcm(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    [x, y] = [y, x % y];
  }
  return (a / x) * b;
}
