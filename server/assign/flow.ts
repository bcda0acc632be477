// Min-cost flow on one component of the candidate graph, by successive
// shortest paths (Dijkstra on reduced costs with node potentials; Ahuja,
// Magnanti & Orlin, Network Flows, 1993, ch. 9), for both the exact unit
// solve and the relaxations the unsplittable search bounds with.
//
// The network: needs → offers → sink t, and a "dummy" arc need → t that stands
// for "not served", priced per network (solve.ts: more than any real plan
// costs, so one more need served always wins). Supplies sit on the needs and
// the demand on t; the flow may hold excess and deficit anywhere (the search
// edits a solved network and settles it again).
//
// Why successive shortest paths: the graph is geometric and capacity mostly
// local, so a search from one need stops after a handful of nodes (truncated
// Dijkstra: stop at the first deficit popped and move only the potentials it
// finished); 5,000 such searches take about 70 ms at 5,000 × 5,000 with
// degree 25 (bench:assign), well inside the budget that cost scaling or
// network simplex were suggested for, with far less code, and the same
// routine re-settles an edited network in a few local searches.

export interface Network {
  readonly needs: number;
  readonly offers: number;
  /** CSR of the need → offer edges by need: edges of need i are needStart[i] … needStart[i+1]-1. */
  readonly needStart: Int32Array;
  readonly edgeNeed: Int32Array;
  /** Local offer index 0 … offers-1. */
  readonly edgeOffer: Int32Array;
  /** Cost of one unit on the edge (integers unless the unit scale fell back to fractions). */
  readonly edgeCost: Float64Array;
  /** The same edges by offer: offerEdges[offerStart[j] … offerStart[j+1]-1] are edge indices. */
  readonly offerStart: Int32Array;
  readonly offerEdges: Int32Array;
  /** Cost of one unit of need i left unserved. */
  readonly dummyCost: Float64Array;
}

/** A (pseudo)flow and its potentials. Node ids: needs 0…n-1, offers n…n+m-1, sink n+m. */
export interface FlowState {
  /** Units need i routes; 0 once the need is taken out (fixed by the search). */
  supply: Float64Array;
  /** Capacity of need i's dummy arc: its supply, or 0 when the search requires it served. */
  dummyCap: Float64Array;
  edgeCap: Float64Array;
  flow: Float64Array;
  dummyFlow: Float64Array;
  offerCap: Float64Array;
  /** Flow on offer → t. */
  outFlow: Float64Array;
  /** supply + inflow − outflow per node; the sink starts at −Σ supply. */
  excess: Float64Array;
  /** Reduced cost of arc u→v is cost + pi[u] − pi[v], kept ≥ 0 on every residual arc. */
  pi: Float64Array;
}

export function initialState(net: Network, units: ArrayLike<number>, capacity: ArrayLike<number>): FlowState {
  const n = net.needs;
  const m = net.offers;
  const st: FlowState = {
    supply: Float64Array.from(units),
    dummyCap: Float64Array.from(units),
    edgeCap: new Float64Array(net.edgeNeed.length),
    flow: new Float64Array(net.edgeNeed.length),
    dummyFlow: new Float64Array(n),
    offerCap: Float64Array.from(capacity),
    outFlow: new Float64Array(m),
    excess: new Float64Array(n + m + 1),
    pi: new Float64Array(n + m + 1),
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    st.excess[i] = units[i]!;
    total += units[i]!;
    for (let e = net.needStart[i]!; e < net.needStart[i + 1]!; e++) {
      st.edgeCap[e] = units[i]!;
    }
  }
  st.excess[n + m] = -total;
  return st;
}

export function cloneState(st: FlowState): FlowState {
  return {
    supply: st.supply.slice(),
    dummyCap: st.dummyCap.slice(),
    edgeCap: st.edgeCap.slice(),
    flow: st.flow.slice(),
    dummyFlow: st.dummyFlow.slice(),
    offerCap: st.offerCap.slice(),
    outFlow: st.outFlow.slice(),
    excess: st.excess.slice(),
    pi: st.pi.slice(),
  };
}

/** Bytes one FlowState holds, for the search's memory bound. */
export function stateBytes(net: Network): number {
  const n = net.needs;
  const m = net.offers;
  return 8 * (2 * net.edgeNeed.length + 3 * n + 2 * m + 2 * (n + m + 1));
}

/** Σ flow × unit cost, dummy arcs included: the objective in the network's cost units. */
export function flowCost(net: Network, st: FlowState): number {
  let cost = 0;
  for (let e = 0; e < st.flow.length; e++) {
    if (st.flow[e]! > 0) {
      cost += st.flow[e]! * net.edgeCost[e]!;
    }
  }
  for (let i = 0; i < net.needs; i++) {
    if (st.dummyFlow[i]! > 0) {
      cost += st.dummyFlow[i]! * net.dummyCost[i]!;
    }
  }
  return cost;
}

/** Binary min-heap of (key, node) with lazy deletion: stale entries are skipped on pop. */
class NodeHeap {
  keys = new Float64Array(256);
  nodes = new Int32Array(256);
  size = 0;

  push(key: number, node: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      this.keys = keys;
      const nodes = new Int32Array(this.size * 2);
      nodes.set(this.nodes);
      this.nodes = nodes;
    }
    const keys = this.keys;
    const nodes = this.nodes;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= key) {
        break;
      }
      keys[i] = keys[p]!;
      nodes[i] = nodes[p]!;
      i = p;
    }
    keys[i] = key;
    nodes[i] = node;
  }

  /** Removes the top; read topKey/topNode first. */
  pop(): void {
    const keys = this.keys;
    const nodes = this.nodes;
    const last = --this.size;
    if (last === 0) {
      return;
    }
    const key = keys[last]!;
    const node = nodes[last]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) {
        break;
      }
      if (c + 1 < last && keys[c + 1]! < keys[c]!) {
        c++;
      }
      if (keys[c]! >= key) {
        break;
      }
      keys[i] = keys[c]!;
      nodes[i] = nodes[c]!;
      i = c;
    }
    keys[i] = key;
    nodes[i] = node;
  }
}

const UNSEEN = 0;
const QUEUED = 1;
const DONE = 2;

/**
 * Shortest-path machinery for one network; its scratch arrays are reused
 * across searches.
 *
 * The sink is never expanded: it joins every offer and every need's dummy
 * arc, so a search that walked through it would cover the whole component.
 * Instead excess is first pushed forward to the nearest deficit or to the
 * sink (moving excess along a shortest path keeps reduced costs
 * non-negative, whether or not the end is a deficit), and deficits left at
 * offers are then fed backward from the nearest excess, which by then is the
 * sink or closer. Both searches stay near the edit.
 */
export class FlowSolver {
  private readonly dist: Float64Array;
  private readonly mark: Uint8Array;
  /** Forward search: the node before, on the path from the source; backward: the node after, toward the root. */
  private readonly link: Int32Array;
  /** Need–offer edge of that arc, −1 for dummy and offer–sink arcs. */
  private readonly linkEdge: Int32Array;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private readonly heap = new NodeHeap();
  private readonly sink: number;
  /** Dijkstra runs so far, for the stats. */
  searches = 0;

  constructor(private readonly net: Network) {
    const size = net.needs + net.offers + 1;
    this.sink = size - 1;
    this.dist = new Float64Array(size);
    this.mark = new Uint8Array(size);
    this.link = new Int32Array(size);
    this.linkEdge = new Int32Array(size);
    this.touched = new Int32Array(size);
  }

  /**
   * Balances every node along shortest paths, nodes taken in index order
   * (deterministic). False if some imbalance finds no partner, which the
   * dummy arcs rule out for the networks built here.
   */
  settle(st: FlowState): boolean {
    const t = this.sink;
    for (let v = 0; v < t; v++) {
      while (st.excess[v]! > 0) {
        if (!this.pushForward(st, v)) {
          return false;
        }
      }
    }
    for (let v = 0; v < t; v++) {
      while (st.excess[v]! < 0) {
        if (!this.pullBackward(st, v)) {
          return false;
        }
      }
    }
    return st.excess[t] === 0;
  }

  private reach(w: number, nd: number, v: number, e: number): void {
    const mark = this.mark[w]!;
    if (mark === DONE || (mark === QUEUED && nd >= this.dist[w]!)) {
      return;
    }
    if (mark === UNSEEN) {
      this.mark[w] = QUEUED;
      this.touched[this.touchedCount++] = w;
    }
    this.dist[w] = nd;
    this.link[w] = v;
    this.linkEdge[w] = e;
    this.heap.push(nd, w);
  }

  private start(root: number): void {
    this.searches++;
    this.heap.size = 0;
    this.touchedCount = 0;
    this.reach(root, 0, -1, -1);
  }

  /** Pops the nearest unfinished node, or −1 when the heap is empty. */
  private next(): number {
    const heap = this.heap;
    while (heap.size > 0) {
      const d = heap.keys[0]!;
      const v = heap.nodes[0]!;
      heap.pop();
      if (this.mark[v] !== DONE && d <= this.dist[v]!) {
        this.mark[v] = DONE;
        return v;
      }
    }
    return -1;
  }

  /**
   * Truncated potential update, which keeps every residual reduced cost
   * ≥ 0: forward, pi += min(d, bound); backward (distances to the root),
   * pi −= min(d, bound). Shifted by the constant ∓bound, which changes no
   * reduced cost, only nodes finished short of the end move (sign +1:
   * pi += d − bound; −1: pi += bound − d).
   */
  private finish(st: FlowState, bound: number, found: boolean, sign: 1 | -1): void {
    const { pi } = st;
    for (let k = 0; k < this.touchedCount; k++) {
      const u = this.touched[k]!;
      if (found && this.mark[u] === DONE && this.dist[u]! < bound) {
        pi[u] = pi[u]! + sign * (this.dist[u]! - bound);
      }
      this.mark[u] = UNSEEN;
    }
  }

  /** Moves excess from src along a shortest path to the nearest deficit, or to the sink. */
  private pushForward(st: FlowState, src: number): boolean {
    const { needStart, edgeOffer, edgeCost, offerStart, offerEdges, edgeNeed, dummyCost } = this.net;
    const n = this.net.needs;
    const t = this.sink;
    const { dummyCap, edgeCap, flow, dummyFlow, offerCap, outFlow, excess, pi } = st;
    this.start(src);
    let end = -1;
    for (let v = this.next(); v >= 0; v = this.next()) {
      if (v === t || excess[v]! < 0) {
        end = v;
        break;
      }
      const d = this.dist[v]!;
      // Reduced costs are ≥ 0 in exact arithmetic; Math.max guards the fractional-cost fallback.
      const base = d + pi[v]!;
      if (v < n) {
        for (let e = needStart[v]!, stop = needStart[v + 1]!; e < stop; e++) {
          if (flow[e]! < edgeCap[e]!) {
            const w = n + edgeOffer[e]!;
            this.reach(w, Math.max(d, base + edgeCost[e]! - pi[w]!), v, e);
          }
        }
        if (dummyFlow[v]! < dummyCap[v]!) {
          this.reach(t, Math.max(d, base + dummyCost[v]! - pi[t]!), v, -1);
        }
      } else {
        const j = v - n;
        for (let k = offerStart[j]!, stop = offerStart[j + 1]!; k < stop; k++) {
          const e = offerEdges[k]!;
          if (flow[e]! > 0) {
            const w = edgeNeed[e]!;
            this.reach(w, Math.max(d, base - edgeCost[e]! - pi[w]!), v, e);
          }
        }
        if (outFlow[j]! < offerCap[j]!) {
          this.reach(t, Math.max(d, base - pi[t]!), v, -1);
        }
      }
    }
    this.finish(st, end >= 0 ? this.dist[end]! : 0, end >= 0, 1);
    if (end < 0) {
      return false;
    }
    let amount = excess[src]!;
    if (excess[end]! < 0) {
      amount = Math.min(amount, -excess[end]!);
    }
    for (let w = end; w !== src; w = this.link[w]!) {
      amount = Math.min(amount, this.residual(st, this.link[w]!, w, this.linkEdge[w]!));
    }
    for (let w = end; w !== src; w = this.link[w]!) {
      this.push(st, this.link[w]!, w, this.linkEdge[w]!, amount);
    }
    excess[src] = excess[src]! - amount;
    excess[end] = excess[end]! + amount;
    return true;
  }

  /** Feeds the deficit at root from the nearest excess (the sink or nearer), along a shortest path. */
  private pullBackward(st: FlowState, root: number): boolean {
    const { needStart, edgeOffer, edgeCost, offerStart, offerEdges, edgeNeed, dummyCost } = this.net;
    const n = this.net.needs;
    const t = this.sink;
    const { edgeCap, flow, dummyFlow, outFlow, excess, pi } = st;
    this.start(root);
    let end = -1;
    for (let v = this.next(); v >= 0; v = this.next()) {
      if (excess[v]! > 0) {
        end = v;
        break;
      }
      if (v === t) {
        // Cannot happen once the forward pass is done (only the sink holds excess then); the sink
        // is never expanded, so stop rather than update potentials from a partial search.
        break;
      }
      const d = this.dist[v]!;
      // Arcs u → v, reduced cost cost + pi[u] − pi[v]: the distance from u is d + that.
      const base = d - pi[v]!;
      if (v < n) {
        for (let e = needStart[v]!, stop = needStart[v + 1]!; e < stop; e++) {
          if (flow[e]! > 0) {
            const u = n + edgeOffer[e]!;
            this.reach(u, Math.max(d, base - edgeCost[e]! + pi[u]!), v, e);
          }
        }
        if (dummyFlow[v]! > 0) {
          this.reach(t, Math.max(d, base - dummyCost[v]! + pi[t]!), v, -1);
        }
      } else {
        const j = v - n;
        for (let k = offerStart[j]!, stop = offerStart[j + 1]!; k < stop; k++) {
          const e = offerEdges[k]!;
          if (flow[e]! < edgeCap[e]!) {
            const u = edgeNeed[e]!;
            this.reach(u, Math.max(d, base + edgeCost[e]! + pi[u]!), v, e);
          }
        }
        if (outFlow[j]! > 0) {
          this.reach(t, Math.max(d, base + pi[t]!), v, -1);
        }
      }
    }
    this.finish(st, end >= 0 ? this.dist[end]! : 0, end >= 0, -1);
    if (end < 0) {
      return false;
    }
    let amount = Math.min(excess[end]!, -excess[root]!);
    for (let u = end; u !== root; u = this.link[u]!) {
      amount = Math.min(amount, this.residual(st, u, this.link[u]!, this.linkEdge[u]!));
    }
    for (let u = end; u !== root; u = this.link[u]!) {
      this.push(st, u, this.link[u]!, this.linkEdge[u]!, amount);
    }
    excess[end] = excess[end]! - amount;
    excess[root] = excess[root]! + amount;
    return true;
  }

  /** Residual capacity of arc u → w (e: the need–offer edge, when it is one). */
  private residual(st: FlowState, u: number, w: number, e: number): number {
    const n = this.net.needs;
    const t = this.sink;
    if (u < n) {
      return w === t ? st.dummyCap[u]! - st.dummyFlow[u]! : st.edgeCap[e]! - st.flow[e]!;
    }
    if (u < t) {
      return w === t ? st.offerCap[u - n]! - st.outFlow[u - n]! : st.flow[e]!;
    }
    return w < n ? st.dummyFlow[w]! : st.outFlow[w - n]!;
  }

  private push(st: FlowState, u: number, w: number, e: number, amount: number): void {
    const n = this.net.needs;
    const t = this.sink;
    if (u < n) {
      if (w === t) {
        st.dummyFlow[u] = st.dummyFlow[u]! + amount;
      } else {
        st.flow[e] = st.flow[e]! + amount;
      }
    } else if (u < t) {
      if (w === t) {
        st.outFlow[u - n] = st.outFlow[u - n]! + amount;
      } else {
        st.flow[e] = st.flow[e]! - amount;
      }
    } else if (w < n) {
      st.dummyFlow[w] = st.dummyFlow[w]! - amount;
    } else {
      st.outFlow[w - n] = st.outFlow[w - n]! - amount;
    }
  }
}
