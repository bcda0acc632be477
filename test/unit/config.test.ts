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

describe('PUBLIC_URL', () => {
  it('defaults to localhost on the port, drops a trailing slash, and refuses what is not an http(s) address', () => {
    expect(loadConfig({}).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://aidmap.example.org/' }).publicUrl).toBe('https://aidmap.example.org');
    expect(loadConfig({ PUBLIC_URL: 'https://example.org/aidmap' }).publicUrl).toBe('https://example.org/aidmap');
    for (const bad of ['aidmap.example.org', 'ftp://example.org', 'https://example.org/?x=1', 'https://u:p@example.org']) {
      expect(() => loadConfig({ PUBLIC_URL: bad })).toThrow(/PUBLIC_URL must be an http/);
    }
  });
});
