import type { Config } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Output } from './main.js';

export async function runMigrate(config: Config, io: Output): Promise<number> {
  const handle = connectDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(handle.db);
    io.out(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date');
    return 0;
  } finally {
    await handle.close();
  }
}
