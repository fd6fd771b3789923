/** The store: one database, one repository per domain. */
import { openDb, resolveStoreLocation, type Db, type DialectName, type StoreLocation } from './db.js';
import { KeysRepo } from './keys.js';
import { ObservationsRepo } from './observations.js';

export interface Store {
  readonly dialect: DialectName;
  readonly db: Db;
  readonly keys: KeysRepo;
  readonly observations: ObservationsRepo;
  close(): Promise<void>;
}

export async function openStore(location: StoreLocation): Promise<Store> {
  const db = await openDb(location);
  return {
    dialect: db.dialect,
    db,
    keys: new KeysRepo(db),
    observations: new ObservationsRepo(db),
    close: () => db.close(),
  };
}

export { resolveStoreLocation, type StoreLocation };
