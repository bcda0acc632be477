import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';

describe('configuration', () => {
  it('reads the map defaults and refuses a bad DEFAULT_CENTER with a message saying the form', () => {
    expect(loadConfig({}).defaultCenter).toEqual({ lat: 40.6694, lng: -73.9422, zoom: 14 });
    expect(loadConfig({ DEFAULT_CENTER: '41.88, -87.63, 12' }).defaultCenter).toEqual({ lat: 41.88, lng: -87.63, zoom: 12 });
    for (const bad of ['41.88,-87.63', '91,0,10', '0,0,25', 'a,b,c']) {
      expect(() => loadConfig({ DEFAULT_CENTER: bad })).toThrow(/DEFAULT_CENTER must be "lat,lng,zoom"/);
    }
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*LOG_LEVEL/);
  });
});
