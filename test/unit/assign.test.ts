import { describe, expect, it } from 'vitest';
import { type AssignEdge, type AssignInput, type AssignPlan, solveAssignment, solveAssignmentWithStats } from '../../server/assign/solve';
import { prng } from '../random';

const need = (id: string, units = 1) => ({ id, units });
const offer = (id: string, capacity = 1) => ({ id, capacity });
const edge = (needId: string, offerId: string, distanceM: number, penaltyM?: number): AssignEdge =>
  penaltyM === undefined ? { needId, offerId, distanceM } : { needId, offerId, distanceM, penaltyM };
const pairsOf = (plan: AssignPlan) => Object.fromEntries(plan.pairs.map((p) => [p.needId, p.offerId]));

/** Throws unless the plan keeps every rule; returns its cost (distance + penalty). */
function checkFeasible(input: AssignInput, plan: AssignPlan): number {
  const units = new Map(input.needs.map((n) => [n.id, n.units]));
  const room = new Map(input.offers.map((o) => [o.id, o.capacity]));
  const edges = new Map(input.edges.map((e) => [`${e.needId}|${e.offerId}`, e]));
  const servedNeeds = new Set<string>();
  let cost = 0;
  let distance = 0;
  for (const p of plan.pairs) {
    const e = edges.get(`${p.needId}|${p.offerId}`);
    expect(e, `pair ${p.needId} → ${p.offerId} is an edge`).toBeDefined();
    expect(servedNeeds.has(p.needId), `${p.needId} served once`).toBe(false);
    servedNeeds.add(p.needId);
    room.set(p.offerId, room.get(p.offerId)! - units.get(p.needId)!);
    expect(room.get(p.offerId)!, `${p.offerId} within capacity`).toBeGreaterThanOrEqual(0);
    expect(p.distanceM).toBe(e!.distanceM);
    cost += e!.distanceM + (e!.penaltyM ?? 0);
    distance += e!.distanceM;
  }
  expect(plan.served).toBe(plan.pairs.length);
  expect(plan.totalDistanceM).toBeCloseTo(distance, 1);
  return cost;
}

/** Every assignment, by depth-first enumeration: the most needs served, then the least cost. */
function bruteForce(input: AssignInput): { served: number; cost: number } {
  const byNeed = input.needs.map((n) => input.edges.filter((e) => e.needId === n.id));
  const room = new Map(input.offers.map((o) => [o.id, o.capacity]));
  let best = { served: -1, cost: Infinity };
  const walk = (k: number, served: number, cost: number) => {
    if (k === input.needs.length) {
      if (served > best.served || (served === best.served && cost < best.cost)) {
        best = { served, cost };
      }
      return;
    }
    walk(k + 1, served, cost);
    const units = input.needs[k]!.units;
    for (const e of byNeed[k]!) {
      const left = room.get(e.offerId)!;
      if (left >= units) {
        room.set(e.offerId, left - units);
        walk(k + 1, served + 1, cost + e.distanceM + (e.penaltyM ?? 0));
        room.set(e.offerId, left);
      }
    }
  };
  walk(0, 0, 0);
  return best;
}


function randomCase(
  random: () => number,
  opts: { units: readonly number[]; capacity: readonly [number, number]; needs?: number; offers?: number },
): AssignInput {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const needs = Array.from({ length: opts.needs ?? int(0, 7) }, (_, i) => need(`n${i}`, opts.units[int(0, opts.units.length - 1)]));
  const offers = Array.from({ length: opts.offers ?? int(1, 5) }, (_, j) => offer(`o${j}`, int(...opts.capacity)));
  const density = 0.2 + random() * 0.5;
  const edges: AssignEdge[] = [];
  for (const n of needs) {
    for (const o of offers) {
      if (random() < density) {
        // Coarse distances make ties; some penalties; some fractions of a metre.
        const distanceM = int(0, 40) * 50 + (random() < 0.2 ? int(1, 9) / 10 : 0);
        edges.push(edge(n.id, o.id, distanceM, random() < 0.3 ? int(0, 4) * 100 : undefined));
      }
    }
  }
  return { needs, offers, edges };
}

describe('solveAssignment: hand cases', () => {
  it('an offer of capacity 3 takes 3 riders', () => {
    const input = {
      needs: [need('a'), need('b'), need('c'), need('d')],
      offers: [offer('car', 3)],
      edges: [edge('a', 'car', 500), edge('b', 'car', 100), edge('c', 'car', 300), edge('d', 'car', 200)],
    };
    const plan = solveAssignment(input);
    expect(plan).toMatchObject({ served: 3, totalDistanceM: 600, exact: true });
    expect(pairsOf(plan)).toEqual({ b: 'car', c: 'car', d: 'car' });
  });

  it('a need goes to the nearer offer, unless that leaves another need unserved', () => {
    const alone = solveAssignment({
      needs: [need('a')],
      offers: [offer('near'), offer('far')],
      edges: [edge('a', 'near', 100), edge('a', 'far', 900)],
    });
    expect(pairsOf(alone)).toEqual({ a: 'near' });
    // b can only reach `near`: serving both beats a's shorter trip.
    const crowded = solveAssignment({
      needs: [need('a'), need('b')],
      offers: [offer('near'), offer('far')],
      edges: [edge('a', 'near', 100), edge('a', 'far', 900), edge('b', 'near', 2000)],
    });
    expect(pairsOf(crowded)).toEqual({ a: 'far', b: 'near' });
    expect(crowded).toMatchObject({ served: 2, totalDistanceM: 2900, exact: true });
  });

  it('a penalty decides between offers at equal distance, and is not counted as distance', () => {
    const input = (penaltyM: number) => ({
      needs: [need('a')],
      offers: [offer('busy'), offer('idle')],
      edges: [edge('a', 'busy', 400, penaltyM), edge('a', 'idle', 400)],
    });
    expect(pairsOf(solveAssignment(input(250)))).toEqual({ a: 'idle' });
    expect(pairsOf(solveAssignment(input(0)))).toEqual({ a: 'busy' }); // tie: input order
    // A penalty smaller than the extra distance does not move the need.
    const plan = solveAssignment({
      needs: [need('a')],
      offers: [offer('busy'), offer('idle')],
      edges: [edge('a', 'busy', 400, 150), edge('a', 'idle', 600)],
    });
    expect(plan).toMatchObject({ served: 1, totalDistanceM: 400 });
  });

  it('a need of 4 servings is never split across offers', () => {
    const input = {
      needs: [need('family', 4)],
      offers: [offer('k1', 3), offer('k2', 3)],
      edges: [edge('family', 'k1', 100), edge('family', 'k2', 100)],
    };
    expect(solveAssignment(input)).toEqual({ pairs: [], served: 0, totalDistanceM: 0, exact: true });
    input.offers.push(offer('k3', 4));
    input.edges.push(edge('family', 'k3', 3000));
    expect(pairsOf(solveAssignment(input))).toEqual({ family: 'k3' });
  });

  it('packs whole needs to serve the most, then the least cost', () => {
    // Nearest first (three in the kitchen) leaves no room for the four: all three are
    // served only with three in the pantry and four + two filling the kitchen.
    const plan = solveAssignment({
      needs: [need('three', 3), need('four', 4), need('two', 2)],
      offers: [offer('kitchen', 6), offer('pantry', 3)],
      edges: [edge('three', 'kitchen', 10), edge('three', 'pantry', 20), edge('four', 'kitchen', 100), edge('two', 'kitchen', 200)],
    });
    expect(plan).toMatchObject({ served: 3, totalDistanceM: 320, exact: true });
    expect(pairsOf(plan)).toEqual({ three: 'pantry', four: 'kitchen', two: 'kitchen' });
  });

  it('empty inputs, and needs or offers without edges', () => {
    expect(solveAssignment({ needs: [], offers: [], edges: [] })).toEqual({ pairs: [], served: 0, totalDistanceM: 0, exact: true });
    const plan = solveAssignment({ needs: [need('a'), need('b', 2)], offers: [offer('x')], edges: [edge('b', 'x', 10)] });
    expect(plan).toEqual({ pairs: [], served: 0, totalDistanceM: 0, exact: true });
  });

  it('solves connected components independently and reports them', () => {
    const input = {
      needs: [need('a1'), need('b1', 2), need('a2'), need('b2')],
      offers: [offer('A', 1), offer('B', 3)],
      edges: [edge('a1', 'A', 100), edge('a2', 'A', 50), edge('b1', 'B', 300), edge('b2', 'B', 10)],
    };
    const { plan, stats } = solveAssignmentWithStats(input);
    expect(stats).toMatchObject({ components: 2, multiUnitComponents: 1 });
    expect(pairsOf(plan)).toEqual({ a2: 'A', b1: 'B', b2: 'B' });
    expect(plan.pairs.map((p) => p.needId)).toEqual(['b1', 'a2', 'b2']); // input order
    expect(plan).toMatchObject({ served: 3, totalDistanceM: 360, exact: true });
  });

  it('says exact: false when the time limit cuts the search, and still returns a feasible plan', () => {
    // The relaxation splits b over x's last unit and "unserved": proving a → x best needs a branch.
    const input = {
      needs: [need('a', 2), need('b', 2)],
      offers: [offer('x', 3)],
      edges: [edge('a', 'x', 100), edge('b', 'x', 200)],
    };
    const cut = solveAssignment(input, { timeLimitMs: 0 });
    expect(cut.exact).toBe(false);
    expect(cut.served).toBe(1);
    checkFeasible(input, cut);
    expect(solveAssignment(input)).toMatchObject({ served: 1, totalDistanceM: 100, exact: true });
  });

  it('rejects bad input with a clear error', () => {
    const ok = { needs: [need('a')], offers: [offer('x')], edges: [edge('a', 'x', 10)] };
    expect(() => solveAssignment({ ...ok, edges: [edge('zz', 'x', 1)] })).toThrow(/unknown need "zz"/);
    expect(() => solveAssignment({ ...ok, edges: [edge('a', 'zz', 1)] })).toThrow(/unknown offer "zz"/);
    expect(() => solveAssignment({ ...ok, needs: [need('a', 0)] })).toThrow(/units must be an integer ≥ 1/);
    expect(() => solveAssignment({ ...ok, needs: [need('a', 1.5)] })).toThrow(/units must be an integer ≥ 1/);
    expect(() => solveAssignment({ ...ok, offers: [offer('x', 0)] })).toThrow(/capacity must be an integer ≥ 1/);
    expect(() => solveAssignment({ ...ok, edges: [edge('a', 'x', -1)] })).toThrow(/distanceM -1/);
    expect(() => solveAssignment({ ...ok, edges: [edge('a', 'x', NaN)] })).toThrow(/distanceM NaN/);
    expect(() => solveAssignment({ ...ok, edges: [edge('a', 'x', 1, -5)] })).toThrow(/penaltyM -5/);
    expect(() => solveAssignment({ ...ok, edges: [edge('a', 'x', 1), edge('a', 'x', 2)] })).toThrow(/duplicate edge/);
    expect(() => solveAssignment({ ...ok, needs: [need('a'), need('a')] })).toThrow(/duplicate need id "a"/);
    expect(() => solveAssignment({ ...ok, offers: [offer('x'), offer('x')] })).toThrow(/duplicate offer id "x"/);
    expect(() => solveAssignment(ok, { timeLimitMs: -1 })).toThrow(/timeLimitMs/);
  });
});

describe('solveAssignment: optimal against brute force', () => {
  for (const [label, units, cases, seed] of [
    ['every need 1 unit', [1], 300, 1],
    ['needs of 1–3 units', [1, 2, 3], 1000, 2],
    // A least common multiple past 2^16: per-unit costs kept as fractions.
    ['needs of 7–23 units (fractional unit costs)', [7, 11, 13, 17, 19, 23], 200, 4],
  ] as const) {
    it(`${label}: ${cases} random cases`, () => {
      const random = prng(seed);
      for (let k = 0; k < cases; k++) {
        const input = randomCase(random, { units, capacity: units.length === 1 ? [1, 4] : [units[0], 3 * units.at(-1)!] });
        const plan = solveAssignment(input);
        const cost = checkFeasible(input, plan);
        const best = bruteForce(input);
        const where = `case ${k}: ${JSON.stringify(input)}`;
        expect(plan.exact, where).toBe(true);
        expect(plan.served, where).toBe(best.served);
        expect(cost, where).toBeCloseTo(best.cost, 6);
        expect(solveAssignment(input), `${where} (deterministic)`).toEqual(plan);
      }
    });
  }

  it('cut short (timeLimitMs 0), plans stay feasible and the proven bounds hold', () => {
    const random = prng(5);
    let cut = 0;
    for (let k = 0; k < 500; k++) {
      const input = randomCase(random, { units: [1, 2, 3, 4], capacity: [1, 6] });
      const { plan, stats } = solveAssignmentWithStats(input, { timeLimitMs: 0 });
      const cost = checkFeasible(input, plan);
      const best = bruteForce(input);
      const where = `case ${k}: ${JSON.stringify(input)}`;
      cut += plan.exact ? 0 : 1;
      expect(best.served, where).toBeLessThanOrEqual(stats.servedBound);
      if (stats.costBoundM !== null && best.served === stats.servedBound) {
        expect(best.cost, where).toBeGreaterThanOrEqual(stats.costBoundM - 1e-6);
      }
      if (plan.exact) {
        expect([plan.served, cost], where).toEqual([best.served, expect.closeTo(best.cost, 6)]);
      }
    }
    expect(cut).toBeGreaterThan(50); // the cut-short path is exercised
  });

  it('stopped at a gap, plans serve the most needs and cost at most (1 + gap) × the best; the bound holds', () => {
    const random = prng(6);
    const gap = 0.05;
    let stopped = 0;
    for (let k = 0; k < 500; k++) {
      const input = randomCase(random, { units: [1, 2, 3, 4], capacity: [1, 6] });
      const { plan, stats } = solveAssignmentWithStats(input, { gap, timeLimitMs: 60_000 });
      const cost = checkFeasible(input, plan);
      const best = bruteForce(input);
      const where = `case ${k}: ${JSON.stringify(input)}`;
      expect(stats.costM, where).toBeCloseTo(cost, 6);
      expect(plan.served, where).toBe(best.served);
      expect(cost, where).toBeLessThanOrEqual(best.cost * (1 + gap) + 1e-6);
      expect(best.cost, where).toBeGreaterThanOrEqual(stats.costBoundM! - 1e-6);
      if (!plan.exact) {
        stopped++;
        expect(cost - stats.costBoundM!, where).toBeLessThanOrEqual(gap * cost + 0.1 * plan.served); // costs compared in decimetres
        expect(solveAssignmentWithStats(input, { timeLimitMs: 60_000 }).plan.exact, `${where} (no gap: a proof)`).toBe(true);
      }
    }
    expect(stopped).toBeGreaterThan(5); // the gap stop is exercised
    expect(() => solveAssignment({ needs: [], offers: [], edges: [] }, { gap: 1 })).toThrow(/gap/);
  });

  it('the unsplittable search agrees with the flow where splitting cannot matter (units and capacities doubled)', () => {
    const random = prng(3);
    for (let k = 0; k < 20; k++) {
      const input = randomCase(random, { units: [1], capacity: [1, 4], needs: 60, offers: 30 });
      const doubled = {
        ...input,
        needs: input.needs.map((n) => need(n.id, 2)),
        offers: input.offers.map((o) => offer(o.id, 2 * o.capacity)),
      };
      const unit = solveAssignment(input);
      const whole = solveAssignment(doubled);
      expect(whole.exact).toBe(true);
      expect(whole.served).toBe(unit.served);
      expect(checkFeasible(doubled, whole)).toBeCloseTo(checkFeasible(input, unit), 6);
    }
  });
});
