// Needs of several units (riders, servings) served whole by one offer:
// branch and bound over the flow relaxation, where a need's units may split
// across offers. The relaxation is the network of flow.ts with units as flow;
// its optimum bounds every whole assignment below it. A node's relaxation is
// not solved from scratch: the child copies its parent's flow, removes what
// the branch forbids and lets the solver re-settle the few units displaced
// (successive shortest paths from an edited optimal flow stay optimal: the
// edits only delete residual arcs, so reduced costs stay non-negative).
import { cloneState, type FlowState, FlowSolver, flowCost, initialState, type Network, stateBytes } from './flow';

/** One connected part of the candidate graph, in local indices, costs integerised by solve.ts. */
export interface ComponentProblem {
  net: Network;
  units: Float64Array;
  capacity: Float64Array;
  /** Cost of serving the need of edge e whole on it, in integer cost units. */
  costInt: Float64Array;
  /** Cost of a need left unserved: more than any set of real costs, so serving more wins first. */
  big: number;
  /** Cost units per metre (10: decimetres). */
  resolution: number;
  /**
   * The network's costs are per unit: costInt × unitScale / units (integers when unitScale is a common
   * multiple of the units; when it is 0 they are plain fractions, for units whose LCM is too large).
   */
  unitScale: number;
}

export interface ComponentSolution {
  /** Chosen edge per local need, −1 unserved. */
  edgeOf: Int32Array;
  exact: boolean;
  /** No plan serves more (proven). */
  servedBound: number;
  /** No plan serving servedBound costs less (proven), integer cost units; null if not known. */
  costBound: number | null;
  nodes: number;
  searches: number;
}

/** All units 1: the flow is the answer. */
export function solveUnitComponent(p: ComponentProblem): ComponentSolution {
  const solver = new FlowSolver(p.net);
  const st = initialState(p.net, p.units, p.capacity);
  if (!solver.settle(st)) {
    throw new Error('assignment: flow could not be settled (internal)');
  }
  const edgeOf = wholeEdges(p.net, st);
  const plan = valued(p, edgeOf);
  return { edgeOf, exact: true, servedBound: plan.served, costBound: plan.cost, nodes: 0, searches: solver.searches };
}

function valued(p: ComponentProblem, edgeOf: Int32Array): { served: number; cost: number } {
  let served = 0;
  let cost = 0;
  for (const e of edgeOf) {
    if (e >= 0) {
      served++;
      cost += p.costInt[e]!;
    }
  }
  return { served, cost };
}

/** Edge carrying each need's flow, for a flow where every need is whole (−1: on the dummy arc). */
function wholeEdges(net: Network, st: FlowState): Int32Array {
  const edgeOf = new Int32Array(net.needs).fill(-1);
  for (let i = 0; i < net.needs; i++) {
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      if (st.flow[e]! > 0) {
        edgeOf[i] = e;
      }
    }
  }
  return edgeOf;
}

interface SearchNode {
  st: FlowState;
  /** Edges fixed by the branches above (their needs are out of the network). */
  fixed: number[];
  /** Σ costInt of the fixed edges, plus big for each need the branches above left out. */
  fixedCost: number;
  /** Needs the branches above left out. */
  leftOut: number;
  /** Lower bound on any plan below this node worth keeping: integer cost units, unserved needs at `big`. */
  bound: number;
}

/** A whole assignment and its value: Σ costInt + big × unserved. */
interface Incumbent {
  value: number;
  edgeOf: Int32Array;
}

/**
 * The relaxation a search bounds with: the component's network with an
 * unserved need priced at `penalty` (per whole need) instead of `big`.
 *
 * Two searches, for the two parts of the objective:
 * - How many are served: a separate relaxation with zero costs serves the
 *   most it can, fractionally; ⌊that⌋ bounds any plan. The first plans
 *   (rounding, a dive) usually reach it, which settles the count.
 * - At what cost, once the count k is settled: only plans serving exactly k
 *   matter, and for them any penalty λ gives the Lagrangian bound
 *   relaxation(λ) + (big − λ) × (needs − k). With λ = big (the joint
 *   objective) a fraction of a need left unserved is priced at big, which
 *   hides the cost the search must prove; the best λ, found by bisection
 *   (the bound is concave in λ), is usually far below big (Fisher, "The
 *   Lagrangian relaxation method for solving integer programming problems",
 *   Management Science 1981). When no plan reaches ⌊the most served⌋, the
 *   search runs on the joint objective (λ = big), which proves both at once.
 */
interface Relaxation {
  net: Network;
  solver: FlowSolver;
  penalty: number;
  /** With penalty < big: the number of needs plans worth keeping leave unserved. */
  target: number;
}

function relaxation(p: ComponentProblem, penalty: number, target: number): Relaxation {
  const dummyCost = penalty === p.big ? p.net.dummyCost : p.units.map((u) => perUnit(p, penalty, u));
  const net = { ...p.net, dummyCost };
  return { net, solver: new FlowSolver(net), penalty, target };
}

/** Cost per unit of a need of `units` for a whole-need cost (see ComponentProblem.unitScale). */
export function perUnit(p: Pick<ComponentProblem, 'unitScale'>, cost: number, units: number): number {
  return p.unitScale > 0 ? cost * (p.unitScale / units) : cost / units;
}

/** States kept on the search stack at most, in bytes (each child is a full copy of the flow). */
const MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * Branch and bound until proven optimal, or until `deadline`, or until the
 * plan is proven within `slack(its cost)` of the best possible (integer cost
 * units): its value at most that above a bound no plan goes below.
 */
export function solveUnsplittableComponent(p: ComponentProblem, deadline: number, slack: (cost: number) => number = () => 0): ComponentSolution {
  const n = p.net.needs;
  // The most needs any plan serves is at most ⌊the most the relaxation serves⌋ (costs aside).
  const mostServed = maxServedFraction(p);
  const servedBound = Math.floor(mostServed.served + 1e-9);
  let searches = mostServed.searches;
  const joint = relaxation(p, p.big, 0);
  const root = rootNode(p, joint);
  let best = improve(p, roundDown(p, root), 2);
  if (root.bound < best.value) {
    const dived = dive(p, joint, root, deadline);
    if (dived.value < best.value) {
      best = dived;
    }
  }
  const finish = (run: SearchResult, target: number | null): ComponentSolution => {
    const plan = valued(p, run.edgeOf);
    const leftOut = n - plan.served;
    // A joint search cut short still proves the plan serves the most when its bound reaches big ×
    // the needs it leaves out: a plan leaving out one fewer is worth less than that (big is more
    // than any plan's real costs add up to). A stop at the gap always has it.
    const jointProof = target === null && run.lowerBound >= p.big * leftOut;
    return {
      edgeOf: run.edgeOf,
      exact: run.exact,
      servedBound: run.exact || jointProof ? plan.served : servedBound,
      costBound: run.exact ? plan.cost : target !== null ? run.lowerBound - p.big * target : jointProof ? run.lowerBound - p.big * leftOut : null,
      nodes: run.nodes,
      searches,
    };
  };
  if (valued(p, best.edgeOf).served < servedBound) {
    // The plans fall short of the bound: search on the joint objective, which proves both.
    const run = branchAndBound(p, joint, root, best, deadline, slack);
    searches += joint.solver.searches;
    return finish(run, null);
  }
  searches += joint.solver.searches;
  // Serving servedBound is proven best: bound the cost of plans serving exactly that many.
  const target = n - servedBound;
  const tuned = tunePenalty(p, target, root, deadline);
  searches += tuned.searches;
  if (!tuned.found) {
    return finish({ edgeOf: best.edgeOf, exact: false, nodes: 0, lowerBound: root.bound }, target);
  }
  const { relaxation: r, root: start } = tuned.found;
  const before = r.solver.searches;
  const run = branchAndBound(p, r, start, best, deadline, slack);
  searches += r.solver.searches - before;
  return finish(run, target);
}

/** The relaxation with every cost 0 and a need left out costing 1: the most needs it serves, split ones fractionally. */
function maxServedFraction(p: ComponentProblem): { served: number; searches: number } {
  const net = { ...p.net, edgeCost: new Float64Array(p.net.edgeCost.length), dummyCost: p.units.map((u) => perUnit(p, 1, u)) };
  const solver = new FlowSolver(net);
  const st = initialState(net, p.units, p.capacity);
  if (!solver.settle(st)) {
    throw new Error('assignment: relaxation could not be settled (internal)');
  }
  return { served: servedFraction(p, st), searches: solver.searches };
}

function rootNode(p: ComponentProblem, r: Relaxation): SearchNode {
  const node = settled(p, r, initialState(r.net, p.units, p.capacity), [], 0, 0);
  if (!node) {
    throw new Error('assignment: relaxation could not be settled (internal)');
  }
  return node;
}

/**
 * The penalty λ whose Lagrangian bound is highest, by bisection: the bound
 * is concave in λ and peaks where the relaxation's unserved fraction crosses
 * `target`. λ = 0 leaves everyone out; the top end starts at big (where
 * the search's root already is) and doubles until few enough are left out,
 * as far as exact arithmetic allows. Each step solves the root afresh.
 */
function tunePenalty(
  p: ComponentProblem,
  target: number,
  bigRoot: SearchNode,
  deadline: number,
): { found: { relaxation: Relaxation; root: SearchNode } | null; searches: number } {
  let searches = 0;
  const solve = (penalty: number) => {
    const r = relaxation(p, penalty, target);
    const root = penalty === p.big ? bigRoot : rootNode(p, r);
    searches += r.solver.searches;
    return { penalty, relaxation: r, root, unserved: p.net.needs - servedFraction(p, root.st) };
  };
  const fits = (penalty: number) => (p.net.needs + 1) * penalty * Math.max(1, p.unitScale) <= MAX_PENALTY_SUM;
  let hi = solve(p.big);
  if (Math.abs(hi.unserved - target) < 1e-9) {
    return { found: hi, searches }; // big is already where the bound peaks
  }
  let lo = solve(0);
  while (hi.unserved > target + 1e-9 && fits(2 * hi.penalty)) {
    if (performance.now() > deadline) {
      return { found: null, searches };
    }
    lo = hi;
    hi = solve(2 * hi.penalty);
  }
  while (hi.penalty - lo.penalty > 1) {
    if (performance.now() > deadline) {
      return { found: null, searches };
    }
    const mid = solve(Math.floor((lo.penalty + hi.penalty) / 2));
    if (mid.unserved > target + 1e-9) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const found = lo.root.bound >= hi.root.bound ? lo : hi;
  return { found, searches };
}

/** Keeps penalty sums within exact double arithmetic, as solve.ts does for costs. */
const MAX_PENALTY_SUM = 2 ** 46;

interface SearchResult {
  edgeOf: Int32Array;
  /** The search finished: the plan is optimal. False when time, memory or the gap stopped it first. */
  exact: boolean;
  nodes: number;
  /** Lowest bound of any part of the tree left open (the plan's value when exact). */
  lowerBound: number;
}

/**
 * Depth-first branch and bound from `root`: branch on a split need's
 * heaviest edge, served whole there or never there. Returns the best plan
 * and whether the search finished (a proof) within the deadline. It also
 * stops once the best plan's value is within `slack(its cost)` of the lowest
 * bound still open (the MIP gap of solvers such as CPLEX and HiGHS): what is
 * left to find is worth less than the time.
 */
function branchAndBound(
  p: ComponentProblem,
  r: Relaxation,
  root: SearchNode,
  incumbent: Incumbent,
  deadline: number,
  slack: (cost: number) => number,
): SearchResult {
  let best = incumbent;
  let bestCost = valued(p, best.edgeOf).cost;
  // Lowest bound among subtrees given up (time or memory), for lowerBound.
  let givenUp = Infinity;
  const stack: SearchNode[] = [root];
  const maxStack = Math.max(8, Math.floor(MEMORY_BYTES / stateBytes(r.net)));
  let nodes = 0;
  let exact = true;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.bound >= best.value) {
      continue;
    }
    if (performance.now() > deadline || best.value - openBound(stack, Math.min(givenUp, node.bound)) <= slack(bestCost)) {
      exact = false;
      givenUp = Math.min(givenUp, node.bound);
      break;
    }
    nodes++;
    const rounded = improve(p, roundDown(p, node), 1);
    if (rounded.value < best.value) {
      best = rounded;
      bestCost = valued(p, best.edgeOf).cost;
    }
    if (node.bound >= best.value) {
      continue;
    }
    let children: [SearchNode | null, () => SearchNode | null];
    const split = pickSplit(p, node.st);
    if (split >= 0) {
      children = [fixServed(p, r, node, split), () => forbid(p, r, node, split)];
    } else if (r.penalty !== p.big) {
      // A whole relaxation under a penalty may still leave out too many; decide a need it leaves out.
      const out = pickLeftOut(p, r, node);
      if (out < 0) {
        continue; // leaves out just enough: its rounding is itself, or nothing below serves enough
      }
      children = [requireServed(p, r, node, out), () => leaveOut(p, r, node, out)];
    } else {
      continue; // whole relaxation: its rounding is itself
    }
    const [first, second] = children;
    if (stack.length + 2 > maxStack) {
      // Out of room for siblings: keep diving for better plans, but the search is no longer a proof.
      exact = false;
      givenUp = Math.min(givenUp, node.bound);
    } else {
      const other = second();
      if (other && other.bound < best.value) {
        stack.push(other);
      }
    }
    // Depth first, the first branch (serve the need) explored first: it reaches whole plans soonest.
    if (first && first.bound < best.value) {
      stack.push(first);
    }
  }
  const lowerBound = openBound(stack, Math.min(givenUp, best.value));
  return { edgeOf: best.edgeOf, exact, nodes, lowerBound };
}

/** The lowest bound among the nodes still open and `low`. */
function openBound(stack: SearchNode[], low: number): number {
  return stack.reduce((lowest, open) => Math.min(lowest, open.bound), low);
}

/**
 * A first plan for the bound to prune against: from a copy of the root, fix
 * split needs on their heaviest edge (or forbid it where the need no longer
 * fits) and re-settle, in place, until the relaxation is whole or time is up.
 */
function dive(p: ComponentProblem, r: Relaxation, root: SearchNode, deadline: number): Incumbent {
  const node: SearchNode = { ...root, st: cloneState(root.st), fixed: [] };
  for (let e = pickSplit(p, node.st); e >= 0 && performance.now() <= deadline; e = pickSplit(p, node.st)) {
    const units = p.units[p.net.edgeNeed[e]!]!;
    if (node.st.offerCap[p.net.edgeOffer[e]!]! >= units) {
      takeNeed(p, node.st, e);
      node.fixed.push(e);
      node.fixedCost += p.costInt[e]!;
    } else {
      dropFlow(p.net, node.st, e);
      node.st.edgeCap[e] = 0;
    }
    if (!r.solver.settle(node.st)) {
      throw new Error('assignment: relaxation could not be settled (internal)');
    }
  }
  return improve(p, roundDown(p, node), 2);
}

/**
 * ⌈relaxation⌉ + fixed: plans have integer values, so the ceiling is still a
 * bound. Under a penalty λ < big, plans leaving out `rest` more needs pay
 * big for each where the relaxation charged λ: + (big − λ) × rest.
 */
function boundOf(p: ComponentProblem, r: Relaxation, st: FlowState, fixedCost: number, leftOut: number): number {
  const cost = flowCost(r.net, st);
  // Fractional unit costs: allow for rounding in the sums (far below one cost unit at these sizes).
  const relaxed = p.unitScale > 0 ? Math.ceil(cost / p.unitScale) : Math.ceil(cost - 2 ** -36 * (p.net.needs + 1) * p.big);
  if (r.penalty === p.big) {
    return fixedCost + relaxed;
  }
  const rest = r.target - leftOut;
  return rest < 0 ? Infinity : fixedCost + relaxed + (p.big - r.penalty) * rest;
}

function servedFraction(p: ComponentProblem, st: FlowState): number {
  let served = 0;
  for (let i = 0; i < p.net.needs; i++) {
    if (st.supply[i]! > 0) {
      served += 1 - st.dummyFlow[i]! / p.units[i]!;
    }
  }
  return served;
}

/** The split need with the most units (then the lowest index), and its edge carrying most of it; −1 if none. */
function pickSplit(p: ComponentProblem, st: FlowState): number {
  const { net } = p;
  let bestEdge = -1;
  let bestUnits = 0;
  for (let i = 0; i < net.needs; i++) {
    if (st.supply[i] === 0 || p.units[i]! <= bestUnits) {
      continue;
    }
    let arcs = st.dummyFlow[i]! > 0 ? 1 : 0;
    let heaviest = -1;
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      const f = st.flow[e]!;
      if (f > 0) {
        arcs++;
        if (heaviest < 0 || f > st.flow[heaviest]! || (f === st.flow[heaviest]! && p.costInt[e]! < p.costInt[heaviest]!)) {
          heaviest = e;
        }
      }
    }
    if (arcs > 1) {
      bestEdge = heaviest;
      bestUnits = p.units[i]!;
    }
  }
  return bestEdge;
}

/** Child: the need of edge e served whole on it. Null when the offer has no room left for it. */
function fixServed(p: ComponentProblem, r: Relaxation, node: SearchNode, e: number): SearchNode | null {
  if (node.st.offerCap[p.net.edgeOffer[e]!]! < p.units[p.net.edgeNeed[e]!]!) {
    return null;
  }
  const st = cloneState(node.st);
  takeNeed(p, st, e);
  return settled(p, r, st, [...node.fixed, e], node.fixedCost + p.costInt[e]!, node.leftOut);
}

/** Takes the need of edge e out of the network, its units held at the edge's offer (which must have room). */
function takeNeed(p: ComponentProblem, st: FlowState, e: number): void {
  const { net } = p;
  const i = net.edgeNeed[e]!;
  const j = net.edgeOffer[e]!;
  const units = p.units[i]!;
  const n = net.needs;
  const t = n + net.offers;
  dropNeed(p, st, i);
  // Push back what no longer fits at j, and close j to needs now too large for it.
  const cap = st.offerCap[j]! - units;
  st.offerCap[j] = cap;
  if (st.outFlow[j]! > cap) {
    const over = st.outFlow[j]! - cap;
    st.outFlow[j] = cap;
    st.excess[n + j] = st.excess[n + j]! + over;
    st.excess[t] = st.excess[t]! - over;
  }
  for (let k = net.offerStart[j]!; k < net.offerStart[j + 1]!; k++) {
    const other = net.offerEdges[k]!;
    if (st.edgeCap[other]! > cap) {
      dropFlow(net, st, other);
      st.edgeCap[other] = 0;
    }
  }
}

/** Child: edge e never used. Edits the parent's state in place (the parent is done with it). */
function forbid(p: ComponentProblem, r: Relaxation, node: SearchNode, e: number): SearchNode | null {
  const st = node.st;
  dropFlow(p.net, st, e);
  st.edgeCap[e] = 0;
  return settled(p, r, st, node.fixed, node.fixedCost, node.leftOut);
}

/**
 * The lowest-index need the (whole) relaxation leaves out, when it leaves out
 * more than plans worth keeping may; −1 when it leaves out just enough, or
 * when it leaves out more but none of them can be served (nothing below can).
 */
function pickLeftOut(p: ComponentProblem, r: Relaxation, node: SearchNode): number {
  const { net } = p;
  const { st } = node;
  let out = 0;
  let pick = -1;
  for (let i = 0; i < net.needs; i++) {
    if (st.supply[i]! > 0 && st.dummyFlow[i] === st.supply[i]) {
      out++;
      if (pick < 0) {
        for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
          if (st.edgeCap[e]! > 0) {
            pick = i;
            break;
          }
        }
      }
    }
  }
  return out > r.target - node.leftOut ? pick : -1;
}

/** Child: need i served (by some offer): its dummy arc closed. Null if the relaxation cannot serve it. */
function requireServed(p: ComponentProblem, r: Relaxation, node: SearchNode, i: number): SearchNode | null {
  const st = cloneState(node.st);
  const t = p.net.needs + p.net.offers;
  const f = st.dummyFlow[i]!;
  st.dummyCap[i] = 0;
  st.dummyFlow[i] = 0;
  st.excess[i] = st.excess[i]! + f;
  st.excess[t] = st.excess[t]! - f;
  return settled(p, r, st, node.fixed, node.fixedCost, node.leftOut);
}

/** Child: need i left out. Edits the parent's state in place. */
function leaveOut(p: ComponentProblem, r: Relaxation, node: SearchNode, i: number): SearchNode | null {
  dropNeed(p, node.st, i);
  return settled(p, r, node.st, node.fixed, node.fixedCost + p.big, node.leftOut + 1);
}

/** Takes need i out of the network: its flow leaves deficits at the offers it used, its supply leaves t's demand. */
function dropNeed(p: ComponentProblem, st: FlowState, i: number): void {
  const { net } = p;
  const t = net.needs + net.offers;
  for (let k = net.needStart[i]!; k < net.needStart[i + 1]!; k++) {
    dropFlow(net, st, k);
    st.edgeCap[k] = 0;
  }
  st.excess[t] = st.excess[t]! - st.dummyFlow[i]! + st.supply[i]!;
  st.dummyFlow[i] = 0;
  st.dummyCap[i] = 0;
  st.supply[i] = 0;
  st.excess[i] = 0;
}

/** Removes the flow on need–offer edge e, leaving it as excess at the need and deficit at the offer. */
function dropFlow(net: Network, st: FlowState, e: number): void {
  const f = st.flow[e]!;
  if (f > 0) {
    const i = net.edgeNeed[e]!;
    const o = net.needs + net.edgeOffer[e]!;
    st.flow[e] = 0;
    st.excess[i] = st.excess[i]! + f;
    st.excess[o] = st.excess[o]! - f;
  }
}

/** Settles an edited state into a node; null when the relaxation has no solution (a need required served cannot be). */
function settled(p: ComponentProblem, r: Relaxation, st: FlowState, fixed: number[], fixedCost: number, leftOut: number): SearchNode | null {
  if (!r.solver.settle(st)) {
    return null;
  }
  return { st, fixed, fixedCost, leftOut, bound: boundOf(p, r, st, fixedCost, leftOut) };
}

/**
 * A whole assignment near the node's relaxation: needs the relaxation serves
 * whole keep their offer; the rest, most units first, take the cheapest offer
 * with room left, else stay unserved.
 */
function roundDown(p: ComponentProblem, node: SearchNode): Incumbent {
  const { net } = p;
  const { st } = node;
  const edgeOf = new Int32Array(net.needs).fill(-1);
  for (const e of node.fixed) {
    edgeOf[net.edgeNeed[e]!] = e;
  }
  const room = st.offerCap.slice();
  let value = node.fixedCost;
  const open: number[] = [];
  for (let i = 0; i < net.needs; i++) {
    if (st.supply[i] === 0) {
      continue;
    }
    let whole = -1;
    if (st.dummyFlow[i] === 0) {
      for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
        if (st.flow[e] === p.units[i]) {
          whole = e;
        }
      }
    }
    if (whole >= 0) {
      edgeOf[i] = whole;
      room[net.edgeOffer[whole]!]! -= p.units[i]!;
      value += p.costInt[whole]!;
    } else {
      open.push(i);
    }
  }
  open.sort((a, b) => p.units[b]! - p.units[a]! || a - b);
  for (const i of open) {
    let pick = -1;
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      if (st.edgeCap[e]! > 0 && room[net.edgeOffer[e]!]! >= p.units[i]! && (pick < 0 || p.costInt[e]! < p.costInt[pick]!)) {
        pick = e;
      }
    }
    if (pick >= 0) {
      edgeOf[i] = pick;
      room[net.edgeOffer[pick]!]! -= p.units[i]!;
      value += p.costInt[pick]!;
    } else {
      value += p.big;
    }
  }
  return { value, edgeOf };
}

/**
 * Local repair of a whole assignment over the full problem (original
 * capacities, every edge): first serve unserved needs, smallest first, by
 * moving up to `chain` served needs one step each to make room (an ejection
 * chain); then move served needs to cheaper offers with room, while that helps.
 * Chains of two cost about deg³·capacity² per need left out: for the first
 * plans only; search nodes use chains of one.
 */
function improve(p: ComponentProblem, plan: Incumbent, chain: number): Incumbent {
  const { net } = p;
  const edgeOf = plan.edgeOf.slice();
  const room = p.capacity.slice();
  const holders: number[][] = Array.from({ length: net.offers }, () => []);
  const unserved: number[] = [];
  for (let i = 0; i < net.needs; i++) {
    const e = edgeOf[i]!;
    if (e >= 0) {
      room[net.edgeOffer[e]!]! -= p.units[i]!;
      holders[net.edgeOffer[e]!]!.push(i);
    } else {
      unserved.push(i);
    }
  }
  const assign = (i: number, e: number) => {
    const j = net.edgeOffer[e]!;
    edgeOf[i] = e;
    room[j]! -= p.units[i]!;
    holders[j]!.push(i);
  };
  const release = (i: number) => {
    const j = net.edgeOffer[edgeOf[i]!]!;
    const list = holders[j]!;
    list.splice(list.indexOf(i), 1);
    room[j]! += p.units[i]!;
    edgeOf[i] = -1;
  };
  const cheapestWithRoom = (i: number, except: number) => {
    let pick = -1;
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      const j = net.edgeOffer[e]!;
      if (j !== except && room[j]! >= p.units[i]! && (pick < 0 || p.costInt[e]! < p.costInt[pick]!)) {
        pick = e;
      }
    }
    return pick;
  };
  const place = (i: number, depth: number, banned: number[]): boolean => {
    const direct = cheapestWithRoom(i, -1);
    if (direct >= 0) {
      assign(i, direct);
      return true;
    }
    if (depth === 0) {
      return false;
    }
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      const j = net.edgeOffer[e]!;
      if (banned.includes(j) || p.capacity[j]! < p.units[i]!) {
        continue;
      }
      for (const k of [...holders[j]!]) {
        if (room[j]! + p.units[k]! < p.units[i]!) {
          continue;
        }
        const back = edgeOf[k]!;
        release(k);
        assign(i, e);
        if (place(k, depth - 1, [...banned, j])) {
          return true;
        }
        release(i);
        assign(k, back);
      }
    }
    return false;
  };
  unserved.sort((a, b) => p.units[a]! - p.units[b]! || a - b);
  for (const i of unserved) {
    place(i, chain, []);
  }
  // Cheaper moves, from a worklist: a need is looked at again only when room opens at one of its offers.
  const queued = new Uint8Array(net.needs).fill(1);
  const work = Array.from({ length: net.needs }, (_, i) => i);
  for (let w = 0; w < work.length && w < 8 * net.needs; w++) {
    const i = work[w]!;
    queued[i] = 0;
    const e = edgeOf[i]!;
    if (e < 0) {
      continue;
    }
    const j = net.edgeOffer[e]!;
    const better = cheapestWithRoom(i, j);
    if (better >= 0 && p.costInt[better]! < p.costInt[e]!) {
      release(i);
      assign(i, better);
      for (let k = net.offerStart[j]!; k < net.offerStart[j + 1]!; k++) {
        const other = net.edgeNeed[net.offerEdges[k]!]!;
        if (queued[other] === 0 && edgeOf[other]! >= 0) {
          queued[other] = 1;
          work.push(other);
        }
      }
    }
  }
  let value = 0;
  for (let i = 0; i < net.needs; i++) {
    value += edgeOf[i]! >= 0 ? p.costInt[edgeOf[i]!]! : p.big;
  }
  return value < plan.value ? { value, edgeOf } : plan;
}
