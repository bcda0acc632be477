import { describe, expect, it } from 'vitest';
import { auditChanges, auditValue } from '../../web/src/lib/audit';
import { boundsOf, cellCounts, levelOf, markOf, periods, type CoverageCell } from '../../web/src/lib/coverage';

const cell = (byCategory: CoverageCell['byCategory']): CoverageCell => ({ bbox: [0, 0, 1, 1], needs: 0, offers: 0, gap: 0, byCategory });

describe('coverage cells', () => {
  it("counts the needs no member's offer can serve, as the API does: ride offers do not cover meal needs, an offer next door may", () => {
    const c = cell({ ride: { needs: 3, offers: 1, unserved: 2 }, meal: { needs: 0, offers: 2, unserved: 0 }, grocery: { needs: 2, offers: 0, unserved: 0 } });
    expect(cellCounts(c, null)).toEqual({ needs: 5, offers: 3, short: 2, spare: 2 });
    expect(cellCounts(c, 'ride')).toEqual({ needs: 3, offers: 1, short: 2, spare: 0 });
    expect(cellCounts(c, 'meal')).toEqual({ needs: 0, offers: 2, short: 0, spare: 2 });
    // Groceries served from the next cell: none short here.
    expect(cellCounts(c, 'grocery')).toEqual({ needs: 2, offers: 0, short: 0, spare: 0 });
    // Nothing of that category: the cell is not drawn.
    expect(cellCounts(c, 'tutoring')).toBeNull();
  });

  it('levels and marks read without color: a count of needs lacking help, ✓ when covered, + for offers only', () => {
    const at = (needs: number, offers: number) => {
      const c = cellCounts(cell({ ride: { needs, offers, unserved: Math.max(0, needs - offers) } }), null)!;
      return [levelOf(c), markOf(c)];
    };
    expect(at(1, 0)).toEqual(['short1', '1']);
    expect(at(3, 0)).toEqual(['short2', '3']);
    expect(at(9, 2)).toEqual(['short4', '7']);
    expect(at(2, 2)).toEqual(['covered', '✓']);
    expect(at(0, 4)).toEqual(['spare', '+']);
  });

  it('offers the next 7 days and each of them, from local midnights, starting now', () => {
    const now = new Date(2026, 2, 7, 15, 30); // 7 March, 15:30 local
    const p = periods(now);
    expect(p.map((x) => x.key)).toEqual(['week', 'd0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    expect(p[0]!.from).toBe(now);
    expect(p[0]!.to).toEqual(new Date(2026, 2, 14));
    expect(p[1]!.from).toBe(now);
    expect(p[1]!.to).toEqual(new Date(2026, 2, 8));
    expect(p[2]!.from).toEqual(new Date(2026, 2, 8));
    expect(p[7]!.to).toEqual(new Date(2026, 2, 14));
  });

  it('finds the corners of a boundary', () => {
    const square = [[[-74, 40.6], [-73.9, 40.6], [-73.9, 40.7], [-74, 40.7], [-74, 40.6]]];
    expect(boundsOf({ type: 'MultiPolygon', coordinates: [square] })).toEqual([[40.6, -74], [40.7, -73.9]]);
    expect(boundsOf({ type: 'Polygon', coordinates: square })).toEqual([[40.6, -74], [40.7, -73.9]]);
    expect(boundsOf({ type: 'MultiPolygon', coordinates: [] })).toBeNull();
  });
});

describe('audit entries in words', () => {
  const names: Record<string, string> = { 'role.member': 'Member', 'role.organizer': 'Organizer', yes: 'yes', no: 'no', 'status.hidden': 'Hidden' };
  const words = {
    text: (key: string): string | undefined => names[key],
    date: (iso: string) => `on ${iso.slice(0, 10)}`,
  };

  it('lists what changed, and leaves out what is empty on both sides', () => {
    expect(auditChanges({ role: 'member' }, { role: 'organizer' })).toEqual([{ field: 'role', before: 'member', after: 'organizer' }]);
    expect(auditChanges({ suspended: false }, { suspended: true, reason: 'spam' })).toEqual([
      { field: 'suspended', before: false, after: true },
      { field: 'reason', before: undefined, after: 'spam' },
    ]);
    expect(auditChanges(null, { expiresAt: null })).toEqual([]);
    expect(auditChanges(null, { name: 'Crown Heights' })).toEqual([{ field: 'name', before: undefined, after: 'Crown Heights' }]);
  });

  it('names roles, statuses, yes/no and dates; counts lists', () => {
    expect(auditValue('role', 'organizer', words)).toBe('Organizer');
    expect(auditValue('status', 'hidden', words)).toBe('Hidden');
    expect(auditValue('suspended', true, words)).toBe('yes');
    expect(auditValue('revokedAt', '2026-12-03T10:00:00.000Z', words)).toBe('on 2026-12-03');
    expect(auditValue('created', [{}, {}], words)).toBe('2');
    expect(auditValue('reason', null, words)).toBe('—');
    expect(auditValue('slug', 'crown-heights', words)).toBe('crown-heights');
  });
});
