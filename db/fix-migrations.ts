// drizzle-kit quotes custom type names with parameters ("geography(Point,4326)"),
// which PostgreSQL reads as one unknown identifier (STACK.md, trap 1). Run after
// every `drizzle-kit generate` (npm run db:generate does); idempotent.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, 'migrations');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = before.replace(/"(geography\([^"]*\))"/g, '$1');
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`unquoted geography types in ${file}`);
  }
}
