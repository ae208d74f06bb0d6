import postgres from '../../../reconcilers/postgres';
import { reconcilerHandler } from '../reconciler-handler';

/** The Lambda of a folder mapped to `reconciler: postgres` (PostgresDatabase, PostgresRole). */
export const handler = reconcilerHandler(postgres);
