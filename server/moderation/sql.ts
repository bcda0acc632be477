// SQL conditions about accounts that other features test (posts listings,
// candidate lists): no service imports, like safety/block-sql.
import { type SQL, sql } from 'drizzle-orm';

/**
 * SQL: true unless the user in column/expression `userId` is suspended
 * platform-wide (users.suspended_at). Their open posts leave listings and
 * candidate lists while it lasts, and come back when it is lifted.
 */
export function accountActive(userId: SQL): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM users su WHERE su.id = ${userId} AND su.suspended_at IS NOT NULL)`;
}
