import { postgresDatabase } from './postgres-database';
import { postgresRole } from './postgres-role';

/** The PostgreSQL reconcilers (`reconciler: postgres`): `PostgresDatabase` and `PostgresRole`. */
export default [postgresDatabase, postgresRole];
export { PostgresSettings } from './connection';
export { PostgresDatabaseSpec, postgresDatabase } from './postgres-database';
export { PostgresRoleSpec, postgresRole } from './postgres-role';
