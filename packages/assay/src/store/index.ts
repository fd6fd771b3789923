/** The store: one database, one repository per domain. */
import { openDb, resolveStoreLocation, type Db, type DialectName, type StoreLocation } from './db.js';
import { AlertsRepo } from './alerts.js';
import { KeysRepo } from './keys.js';
import { ObservationsRepo } from './observations.js';
import { BudgetsRepo } from './budgets.js';
import { PricesRepo } from './prices.js';
import { ScoresRepo } from './scores.js';
import { WebSessionsRepo } from './web-sessions.js';
import { SqliteWriter } from './sqlite-writer.js';

export interface Store {
  readonly dialect: DialectName;
  readonly db: Db;
  readonly keys: KeysRepo;
  readonly observations: ObservationsRepo;
  readonly scores: ScoresRepo;
  readonly prices: PricesRepo;
  readonly budgets: BudgetsRepo;
  readonly webSessions: WebSessionsRepo;
  readonly alerts: AlertsRepo;
  close(): Promise<void>;
}

export async function openStore(location: StoreLocation): Promise<Store> {
  const db = await openDb(location);
  const writer = location.dialect === 'sqlite' && location.target !== ':memory:' ? new SqliteWriter(location.target) : null;
  return {
    dialect: db.dialect,
    db,
    keys: new KeysRepo(db),
    observations: new ObservationsRepo(db, writer),
    scores: new ScoresRepo(db),
    prices: new PricesRepo(db),
    budgets: new BudgetsRepo(db),
    webSessions: new WebSessionsRepo(db),
    alerts: new AlertsRepo(db),
    close: async () => {
      await writer?.close();
      await db.close();
    },
  };
}

export { resolveStoreLocation, type StoreLocation };
